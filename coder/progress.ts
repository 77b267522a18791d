// Options every long coder operation accepts.

export interface ProgressEvent {
  /** What is happening, e.g. 'encode' or 'decode'. */
  phase: string
  /** Bytes of the file processed so far. */
  bytes: number
  /** Total bytes of the file, when known. */
  total?: number
}

export interface AbortOptions {
  signal?: AbortSignal
}

export interface ProgressOptions extends AbortOptions {
  onProgress?: (event: ProgressEvent) => void
}
