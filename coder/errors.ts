// Typed errors with stable `code` strings: the CLI prints the code, tests assert it, and callers branch on it.
// node/errors.ts extends the same base so every error in edgemirror has one shape.

export class EdgemirrorError extends Error {
  readonly code: string
  readonly details: Record<string, unknown>

  constructor (code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

/** Fewer than k good shards: the file cannot be rebuilt (never a wrong file instead). */
export class NotEnoughShardsError extends EdgemirrorError {
  constructor (found: number, needed: number, details: Record<string, unknown> = {}) {
    super('ERR_NOT_ENOUGH_SHARDS', `not enough shards: found ${found} good, need ${needed}`, { found, needed, ...details })
  }
}

export class HashMismatchError extends EdgemirrorError {
  constructor (what: string, details: Record<string, unknown> = {}) {
    super('ERR_HASH_MISMATCH', `hash mismatch: ${what}`, details)
  }
}

export class ManifestInvalidError extends EdgemirrorError {
  constructor (reason: string) {
    super('ERR_MANIFEST_INVALID', `invalid manifest: ${reason}`, { reason })
  }
}

export class ManifestVersionError extends EdgemirrorError {
  constructor (version: unknown) {
    super('ERR_MANIFEST_VERSION', `unsupported manifest version: ${String(version)}`, { version })
  }
}

export class InvalidParametersError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_INVALID_PARAMETERS', message, details)
  }
}

export class UnknownCodecError extends EdgemirrorError {
  constructor (id: string) {
    super('ERR_UNKNOWN_CODEC', `codec not available here: ${id}`, { codec: id })
  }
}

export class AbortedError extends EdgemirrorError {
  constructor (message = 'operation aborted') {
    super('ERR_ABORTED', message)
  }
}

export class InvalidCidError extends EdgemirrorError {
  constructor (text: string, reason: string) {
    super('ERR_INVALID_CID', `${reason}: ${JSON.stringify(text.slice(0, 100))}`, { cid: text.slice(0, 100) })
  }
}

export class SizeMismatchError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_SIZE_MISMATCH', message, details)
  }
}

/** A path of a mirror set that is not a safe relative POSIX path (coder/directory-manifest.ts assertMirrorPath). */
export class InvalidPathError extends EdgemirrorError {
  constructor (path: string, reason: string) {
    super('ERR_INVALID_PATH', `invalid path ${JSON.stringify(path.slice(0, 200))}: ${reason}`, { path: path.slice(0, 200), reason })
  }
}

/** A capability string (coder/capability.ts) that does not parse. The message never repeats the text: it holds a key. */
export class InvalidCapabilityError extends EdgemirrorError {
  constructor (reason: string) {
    super('ERR_INVALID_CAPABILITY', `invalid capability: ${reason}`, { reason })
  }
}

/** An encrypted file named by its bare CID: its bytes are ciphertext, readable only with the capability's key. */
export class KeyRequiredError extends EdgemirrorError {
  constructor (cid: string) {
    super('ERR_KEY_REQUIRED', `${cid} is encrypted: read it with the capability (emcap1.…) that share --encrypt printed`, { cid })
  }
}

/** A capability whose key does not match the manifest's key check: refused before a byte is read or written. */
export class WrongKeyError extends EdgemirrorError {
  constructor (cid: string) {
    super('ERR_WRONG_KEY', `the capability's key is not the key of ${cid}`, { cid })
  }
}
