// Where stripes are encoded and hashed during a share: on this thread, or on the encode worker (coder/encode-worker.ts)
// so that the thread that reads the upload and sends shards has only that to do. Hashing (every block, plus the
// whole file) and Reed-Solomon are about half of a sharing daemon's main-thread time (docs/BENCHMARKS.md), and a
// thread of their own lets them run beside the network work on another core.
import { createHash, type Hash } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { Codec } from './codec.ts'
import { HASH_LENGTH } from './constants.ts'
import type { EncodedStripe } from './encoder.ts'
import { EdgemirrorError } from './errors.ts'
import { stripeViews, type Stripe } from './stripe-reader.ts'
import { encodeStripeInPlace } from './stripe-encoding.ts'

export interface StripeEncoder {
  /** Encode and hash a stripe. Calls come in stripe order; the stripe's buffer belongs to the encoder until then. */
  encode (stripe: Stripe): Promise<EncodedStripe>
  /** SHA-256 of the file bytes of every stripe encoded, once all of them resolved. */
  digest (): Promise<Uint8Array>
  /** Forget this file (after digest, or on failure). */
  close (): void
}

/** Everything on the calling thread. */
export class InlineStripeEncoder implements StripeEncoder {
  private readonly fileHash: Hash = createHash('sha256')

  constructor (private readonly codec: Codec) {}

  async encode (stripe: Stripe): Promise<EncodedStripe> {
    const hashes = await encodeStripeInPlace(this.codec, stripe.blocks, stripe.dataBytes, this.fileHash)
    return { index: stripe.index, blockSize: stripe.blockSize, blocks: stripe.blocks, hashes: unpack(hashes) }
  }

  async digest (): Promise<Uint8Array> {
    return new Uint8Array(this.fileHash.digest())
  }

  close (): void {}
}

// ---- the worker ---------------------------------------------------------------------------------------------------

export type WorkerRequest =
  | { op: 'encode', id: number, job: number, codec: string, k: number, m: number, blockSize: number, dataBytes: number, buffer: ArrayBuffer }
  | { op: 'digest', id: number, job: number }
  | { op: 'drop', id: number, job: number }

/** A request before the worker client numbers it. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never

export type WorkerReply =
  | { id: number, ok: true, buffer?: ArrayBuffer, hashes?: Uint8Array, digest?: Uint8Array }
  | { id: number, ok: false, message: string, code?: string }

/**
 * The worker thread running encode-worker, in this module's own form: compiled (dist/, what the bin and the library
 * run) it is the .js beside this file; run from source (tests and benches under tsx) it is the .ts, and the worker needs the
 * TypeScript loader too, since module hooks registered on this thread do not reach it. Both are resolved here, to
 * absolute URLs: an eval'd worker resolves bare names from the process's working directory, which for a daemon
 * started elsewhere holds no node_modules.
 */
function startEncodeWorker (): Worker {
  // Not the parent's execArgv (a worker's default): a program using the library may run under flags such as
  // `--import ./setup.ts` that the plain-JS worker cannot load, and the worker needs none of them.
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./encode-worker.js', import.meta.url), { execArgv: [] })
  const url = new URL('./encode-worker.ts', import.meta.url).href
  const loader = import.meta.resolve('tsx/esm/api')
  return new Worker(`import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}) })`, { eval: true })
}

/**
 * The encode worker of this process: started on first use, shared by every share (each one a job), and not keeping
 * the process alive while idle. If it dies, what it had fails and the next share starts a new one.
 */
class EncodeWorker {
  private static current: EncodeWorker | undefined
  private readonly worker: Worker
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply & { ok: true }) => void, reject: (err: Error) => void }>()
  private nextId = 0
  private nextJob = 0

  static get (): EncodeWorker {
    EncodeWorker.current ??= new EncodeWorker()
    return EncodeWorker.current
  }

  private constructor () {
    this.worker = startEncodeWorker()
    this.worker.unref()
    this.worker.on('message', (reply: WorkerReply) => { this.settle(reply) })
    this.worker.on('error', (err) => { this.fail(err) })
    this.worker.on('exit', (code) => { this.fail(new Error(`the encode worker exited with code ${code}`)) })
  }

  newJob (): number {
    return this.nextJob++
  }

  async request (message: Unnumbered<WorkerRequest>, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
    const id = this.nextId++
    const reply = new Promise<WorkerReply & { ok: true }>((resolve, reject) => { this.pending.set(id, { resolve, reject }) })
    if (this.pending.size === 1) this.worker.ref() // work outstanding: keep the process alive for it
    this.worker.postMessage({ ...message, id }, transfer)
    return await reply
  }

  private settle (reply: WorkerReply): void {
    const waiter = this.pending.get(reply.id)
    if (waiter === undefined) return
    this.pending.delete(reply.id)
    if (this.pending.size === 0) this.worker.unref()
    if (reply.ok) waiter.resolve(reply)
    else waiter.reject(reply.code !== undefined ? new EdgemirrorError(reply.code, reply.message) : new Error(reply.message))
  }

  private fail (err: Error): void {
    if (EncodeWorker.current === this) EncodeWorker.current = undefined
    for (const waiter of this.pending.values()) waiter.reject(err)
    this.pending.clear()
    this.worker.terminate().catch(() => {}) // the worker already failed and every waiter got `err`; nothing is left to tell
  }
}

/** Stripes go to the encode worker and come back encoded, their buffers moved both ways rather than copied. */
export class WorkerStripeEncoder implements StripeEncoder {
  private readonly worker = EncodeWorker.get()
  private readonly job = this.worker.newJob()
  private closed = false

  constructor (private readonly codec: Pick<Codec, 'id' | 'k' | 'm'>) {}

  async encode (stripe: Stripe): Promise<EncodedStripe> {
    const { k, m } = this.codec
    const buffer = stripe.blocks[0].buffer as ArrayBuffer
    if (stripe.blocks[0].byteOffset !== 0 || buffer.byteLength !== (k + m) * stripe.blockSize) throw new Error('internal: a stripe must own its buffer to move it')
    const reply = await this.worker.request({ op: 'encode', job: this.job, codec: this.codec.id, k, m, blockSize: stripe.blockSize, dataBytes: stripe.dataBytes, buffer }, [buffer])
    const blocks = stripeViews(new Uint8Array(reply.buffer as ArrayBuffer), k + m, stripe.blockSize)
    return { index: stripe.index, blockSize: stripe.blockSize, blocks, hashes: unpack(reply.hashes as Uint8Array) }
  }

  async digest (): Promise<Uint8Array> {
    this.closed = true
    return (await this.worker.request({ op: 'digest', job: this.job })).digest as Uint8Array
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.worker.request({ op: 'drop', job: this.job }).catch(() => {}) // only frees the job's state; a dead worker has none
  }
}

function unpack (packed: Uint8Array): Uint8Array[] {
  return Array.from({ length: packed.byteLength / HASH_LENGTH }, (_, i) => packed.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH))
}
