// The encode worker's thread: encodes and hashes stripes that coder/stripe-encoder.ts transfers to it (no copy), and
// keeps each job's running whole-file hash. Messages of one job arrive in stripe order and run one after another, so
// the file hash sees the file in order; jobs (concurrent shares) interleave freely.
import { createHash, type Hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import type { Codec } from './codec.ts'
import { createCodec } from './codecs.ts'
import { EdgemirrorError } from './errors.ts'
import { stripeViews } from './stripe-reader.ts'
import { encodeStripeInPlace } from './stripe-encoding.ts'
import type { WorkerReply, WorkerRequest } from './stripe-encoder.ts'

const port = parentPort
if (port == null) throw new Error('coder/encode-worker.ts runs as a worker thread')

const codecs = new Map<string, Promise<Codec>>()
/** Per job: its running file hash, and the last request queued (the next one starts when it ends). */
const jobs = new Map<number, { fileHash: Hash, tail: Promise<unknown> }>()

function codecFor (id: string, k: number, m: number): Promise<Codec> {
  const key = `${id}/${k}/${m}`
  let codec = codecs.get(key)
  if (codec === undefined) {
    codec = createCodec(id, k, m)
    codecs.set(key, codec)
  }
  return codec
}

function jobOf (job: number): { fileHash: Hash, tail: Promise<unknown> } {
  let state = jobs.get(job)
  if (state === undefined) {
    state = { fileHash: createHash('sha256'), tail: Promise.resolve() }
    jobs.set(job, state)
  }
  return state
}

async function handle (request: WorkerRequest, fileHash: Hash): Promise<{ reply: WorkerReply, transfer: ArrayBuffer[] }> {
  const { id } = request
  switch (request.op) {
    case 'encode': {
      const { k, m, blockSize, dataBytes, buffer } = request
      const codec = await codecFor(request.codec, k, m)
      const hashes = await encodeStripeInPlace(codec, stripeViews(new Uint8Array(buffer), k + m, blockSize), dataBytes, fileHash)
      return { reply: { id, ok: true, buffer, hashes }, transfer: [buffer, hashes.buffer as ArrayBuffer] }
    }
    case 'digest':
      jobs.delete(request.job)
      return { reply: { id, ok: true, digest: new Uint8Array(fileHash.digest()) }, transfer: [] }
    case 'drop':
      jobs.delete(request.job)
      return { reply: { id, ok: true }, transfer: [] }
  }
}

port.on('message', (request: WorkerRequest) => {
  const state = jobOf(request.job)
  const run = state.tail.then(async () => await handle(request, state.fileHash))
  state.tail = run.catch(() => {}) // only orders the job's requests; the failure is posted back just below
  run.then(({ reply, transfer }) => { port.postMessage(reply, transfer) }, (err: Error) => {
    const code = err instanceof EdgemirrorError ? err.code : undefined
    port.postMessage({ id: request.id, ok: false, message: err.message, code } satisfies WorkerReply)
  })
})
