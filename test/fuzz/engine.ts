// A small seeded fuzzer for edgemirror's decoders of wire and disk input (issue #19, item 4; docs/FUZZING.md). Each
// input is generated (random MessagePack or JSON of random shapes, random bytes, deep nesting, huge declared lengths)
// or a mutation of a target's seeds (valid encodings made with the real encoders). A decoder must return, or throw an
// error its target calls typed; anything else (a TypeError, a RangeError, an error of no class it documents) is a
// crash and is recorded with its input. Everything follows from the seed: the same seed gives the same inputs.
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { seededRandom } from '../node/repair/helpers.ts'
import { EdgemirrorError } from '../../node/errors.ts'
import { concat } from '../node/store/compliance.ts'

/** What the inputs of a target are, so that structural mutations re-encode in the same format. */
export type InputFormat = 'msgpack' | 'json' | 'text' | 'bytes'

export interface FuzzTarget {
  name: string
  format: InputFormat
  decode (input: Uint8Array): unknown | Promise<unknown>
  /** Valid encodings, made with the real encoders. */
  seeds (): Uint8Array[]
  isTypedError (err: unknown): boolean
  /** An input the decoder must refuse, and the code it must refuse it with (the seeded test asserts it). */
  knownBad: { input: Uint8Array, code: string }
  /** Inputs for this target when the run gives none (default: the run's count); only for slow targets, with why. */
  inputs?: { count: number, why: string }
  setup?: () => Promise<void>
  teardown?: () => Promise<void>
}

export interface CrashReport {
  /** The input, in hex, its first 256 bytes. */
  inputHex: string
  inputLength: number
  error: string
  stack: string
}

export interface FuzzResult {
  decoder: string
  inputs: number
  crashes: number
  hangs: number
  typedErrors: number
  accepted: number
  peakRssMiB: number
  /** The most ArrayBuffer memory seen right after a decode of a huge-declared-length input, above the level before it. */
  hugeLengthMaxGrowthMiB: number
  seconds: number
  seed: number
  /** The first few distinct crashes (by message and top frame). */
  examples: CrashReport[]
}

export interface FuzzOptions {
  inputs: number
  seed: number
  /** Per-input deadline for an async decoder: past it the input is a hang (a generous bound, not a speed check). */
  hangMs?: number
  /** Sample memory every so many inputs. */
  sampleEvery?: number
}

/** Is `err` one of edgemirror's typed errors: an EdgemirrorError with a stable ERR_ code? */
export function isEdgemirrorError (err: unknown): boolean {
  return err instanceof EdgemirrorError && /^ERR_[A-Z0-9_]+$/.test(err.code)
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' })

export function pack (value: unknown): Uint8Array {
  const bytes = packr.pack(value)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export function utf8 (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

export function json (value: unknown): Uint8Array {
  return utf8(JSON.stringify(value))
}

/** FNV-1a of a string: a target's name gives it its own stream of inputs from the run's seed. */
function hash32 (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** Headers that declare far more than follows: MessagePack str32, bin32, array32, map32 and ext32 of 2^32 - 1, a
 *  4 GiB frame length, a JSON array of a huge declared count (a number only). Nothing may allocate what they claim. */
export const HUGE_LENGTH_PREFIXES: readonly Uint8Array[] = [
  Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff), // str32
  Uint8Array.of(0xc6, 0xff, 0xff, 0xff, 0xff), // bin32
  Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), // array32
  Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff), // map32
  Uint8Array.of(0xc9, 0xff, 0xff, 0xff, 0xff, 0x01), // ext32
  Uint8Array.of(0xff, 0xff, 0xff, 0xff), // a 4 GiB frame header
  Uint8Array.of(0x80, 0x00, 0x00, 0x00) // a 2 GiB frame header
]

/** Values that break validators that trust a field's type: wrong types, edges of integer ranges, odd strings. */
const AWKWARD_VALUES: unknown[] = [
  null, undefined, true, false, 0, -0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, -(2 ** 63), NaN, Infinity, -Infinity,
  '', ' ', '0', '-1', 'x'.repeat(300), 'x'.repeat(5000), '\u0000', '\ud800', '../..', '/', '__proto__', 'constructor',
  [], [null], [[]], {}, { __proto__: null }, new Uint8Array(0), new Uint8Array(33), Uint8Array.of(0xff), new Date(0),
  Array.from({ length: 600 }, (_, i) => i)
]

export class InputGenerator {
  private readonly random: () => number
  private anything: unknown[] = []
  private jsonValues: unknown[] = []
  private batch = 0
  private readonly decodedSeeds: unknown[]

  constructor (private readonly target: FuzzTarget, private readonly seeds: Uint8Array[], private readonly seed: number) {
    this.random = seededRandom((seed ^ hash32(target.name)) >>> 0)
    this.decodedSeeds = seeds.map(s => this.decodeSeed(s))
  }

  next (): Uint8Array {
    const r = this.random()
    const seed = this.pickSeed()
    if (r < 0.30 && seed !== undefined) return this.mutate(seed, 1 + this.int(4))
    if (r < 0.50 && this.target.format !== 'bytes' && this.target.format !== 'text') {
      const structured = this.structural()
      if (structured !== undefined) return structured
    }
    if (r < 0.60 && seed !== undefined) return this.splice(seed, this.pickSeed() ?? seed)
    if (r < 0.72) return this.randomMsgpack()
    if (r < 0.84) return this.randomJson()
    if (r < 0.94) return this.randomBytes()
    if (r < 0.96) return this.deepNesting()
    return this.hugeLength()
  }

  /** A huge-declared-length input: a prefix alone, before a seed, or inside one. */
  hugeLength (): Uint8Array {
    const prefix = HUGE_LENGTH_PREFIXES[this.int(HUGE_LENGTH_PREFIXES.length)]
    const seed = this.pickSeed() ?? new Uint8Array(0)
    const at = this.int(seed.byteLength + 1)
    switch (this.int(3)) {
      case 0: return prefix
      case 1: return concat([prefix, seed])
      default: return concat([seed.subarray(0, at), prefix, seed.subarray(at)])
    }
  }

  private int (n: number): number {
    return Math.floor(this.random() * n)
  }

  private pickSeed (): Uint8Array | undefined {
    return this.seeds.length === 0 ? undefined : this.seeds[this.int(this.seeds.length)]
  }

  private decodeSeed (bytes: Uint8Array): unknown {
    try {
      if (this.target.format === 'msgpack') return packr.unpack(Buffer.from(bytes))
      if (this.target.format === 'json') return JSON.parse(new TextDecoder().decode(bytes))
    } catch {}
    return undefined
  }

  /** Byte-level mutations, `count` of them stacked. */
  mutate (input: Uint8Array, count: number): Uint8Array {
    let out: Uint8Array = Uint8Array.from(input)
    for (let n = 0; n < count; n++) {
      const at = this.int(out.byteLength + 1)
      switch (this.int(9)) {
        case 0: // flip a bit
          if (out.byteLength > 0) out[Math.min(at, out.byteLength - 1)] ^= 1 << this.int(8)
          break
        case 1: // an interesting byte
          if (out.byteLength > 0) out[Math.min(at, out.byteLength - 1)] = [0x00, 0xff, 0x7f, 0x80, 0xc0, 0xc1, 0x22, 0x5c][this.int(8)]
          break
        case 2: // truncate
          out = out.slice(0, at)
          break
        case 3: // extend with random bytes
          out = concat([out, this.bytes(1 + this.int(64))])
          break
        case 4: { // insert a length-prefix lie
          const prefix = HUGE_LENGTH_PREFIXES[this.int(HUGE_LENGTH_PREFIXES.length)]
          out = concat([out.subarray(0, at), prefix, out.subarray(at)])
          break
        }
        case 5: { // repeat a chunk
          const len = 1 + this.int(Math.min(64, Math.max(1, out.byteLength - at)))
          const chunk = out.slice(at, at + len)
          const times = 1 + this.int(16)
          out = concat([out.subarray(0, at), ...Array<Uint8Array>(times).fill(chunk), out.subarray(at)])
          break
        }
        case 6: // delete a range
          out = concat([out.subarray(0, at), out.subarray(at + 1 + this.int(16))])
          break
        case 7: // overwrite a 32-bit big-endian field with an edge value
          if (out.byteLength >= 4) {
            const v = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff][this.int(5)]
            new DataView(out.buffer, out.byteOffset).setUint32(Math.min(at, out.byteLength - 4), v)
          }
          break
        default: // insert a random byte
          out = concat([out.subarray(0, at), this.bytes(1), out.subarray(at)])
      }
    }
    return out
  }

  private splice (a: Uint8Array, b: Uint8Array): Uint8Array {
    return concat([a.subarray(0, this.int(a.byteLength + 1)), b.subarray(this.int(b.byteLength + 1))])
  }

  /** Decode a seed, replace one value somewhere in it (or delete or add a key), encode it again. */
  private structural (): Uint8Array | undefined {
    const index = this.int(this.seeds.length)
    const value = this.decodedSeeds[index]
    if (value === undefined) return undefined
    const copy = structuredCloneLoose(value)
    const slots = collectSlots(copy)
    if (slots.length === 0) return undefined
    const [holder, key] = slots[this.int(slots.length)]
    const action = this.int(10)
    if (action === 0 && !Array.isArray(holder)) delete (holder as Record<string, unknown>)[key]
    else if (action === 1 && !Array.isArray(holder)) (holder as Record<string, unknown>)[['__proto__', 'x', 'constructor', 'toString', ''][this.int(5)]] = this.awkward()
    else (holder as Record<string | number, unknown>)[key] = this.awkward()
    try {
      return this.target.format === 'json' ? utf8(JSON.stringify(copy) ?? 'null') : pack(copy)
    } catch {
      return undefined
    }
  }

  private awkward (): unknown {
    if (this.random() < 0.7) return AWKWARD_VALUES[this.int(AWKWARD_VALUES.length)]
    return this.target.format === 'json' ? this.nextJsonValue() : this.nextAnything()
  }

  private refill (): void {
    const seed = (this.seed + hash32(this.target.name) + this.batch++) | 0
    this.anything = fc.sample(fc.anything({ maxDepth: 4, maxKeys: 6, withTypedArray: true, withNullPrototype: true, withObjectString: true }), { seed, numRuns: 500 })
    this.jsonValues = fc.sample(fc.jsonValue({ maxDepth: 4 }), { seed: seed + 1, numRuns: 500 })
  }

  private nextAnything (): unknown {
    if (this.anything.length === 0) this.refill()
    return this.anything.pop()
  }

  private nextJsonValue (): unknown {
    if (this.jsonValues.length === 0) this.refill()
    return this.jsonValues.pop()
  }

  private randomMsgpack (): Uint8Array {
    try {
      return pack(this.nextAnything())
    } catch {
      return this.randomBytes() // a value msgpackr cannot write (a BigInt out of range, say)
    }
  }

  private randomJson (): Uint8Array {
    return utf8(JSON.stringify(this.nextJsonValue()) ?? 'null')
  }

  private randomBytes (): Uint8Array {
    return this.bytes(this.random() < 0.95 ? this.int(256) : this.int(64 * 1024))
  }

  private bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }

  /** 1,000 to 100,000 levels of nested arrays or maps, MessagePack or JSON: a recursive decoder's stack (the deepest
   *  are rare: each costs msgpackr a stack overflow, ~1 ms). */
  private deepNesting (): Uint8Array {
    const depth = [1000, 1000, 5000, 5000, 20_000, 100_000][this.int(6)]
    switch (this.int(4)) {
      case 0: return new Uint8Array(depth).fill(0x91) // [[[…]]]
      case 1: return concat([new Uint8Array(depth * 2).map((_, i) => i % 2 === 0 ? 0x81 : 0xa0)]) // {'': {'': …}}
      case 2: return utf8('['.repeat(depth) + ']'.repeat(depth))
      default: return utf8('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))
    }
  }
}

/** A deep copy that keeps Uint8Arrays and Dates as they are (what msgpackr and JSON.parse give back). */
function structuredCloneLoose (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneLoose)
  if (value instanceof Uint8Array) return Uint8Array.from(value)
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneLoose(v)]))
  }
  return value
}

/** Every (container, key) of a decoded value, containers first. */
function collectSlots (value: unknown, out: Array<[object, string]> = [], depth = 0): Array<[object, string]> {
  if (depth > 8 || value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return out
  for (const key of Object.keys(value)) {
    out.push([value, key])
    collectSlots((value as Record<string, unknown>)[key], out, depth + 1)
  }
  return out
}


const MIB = 1024 * 1024

type Outcome = { kind: 'accepted' } | { kind: 'typed' } | { kind: 'crash', err: unknown } | { kind: 'hang' }

async function runOne (target: FuzzTarget, input: Uint8Array, hangMs: number): Promise<Outcome> {
  let result: unknown
  try {
    result = target.decode(input)
  } catch (err) {
    return target.isTypedError(err) ? { kind: 'typed' } : { kind: 'crash', err }
  }
  if (!(result instanceof Promise)) return { kind: 'accepted' }
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>(resolve => { timer = setTimeout(() => resolve('hang'), hangMs) })
  try {
    const settled = await Promise.race([result.then(() => 'accepted' as const), hang])
    return settled === 'hang' ? { kind: 'hang' } : { kind: 'accepted' }
  } catch (err) {
    return target.isTypedError(err) ? { kind: 'typed' } : { kind: 'crash', err }
  } finally {
    clearTimeout(timer)
  }
}

function crashReport (input: Uint8Array, err: unknown): CrashReport {
  const e = err as Error
  return {
    inputHex: Buffer.from(input.subarray(0, 256)).toString('hex'),
    inputLength: input.byteLength,
    error: `${e?.name ?? typeof err}${(e as { code?: unknown })?.code !== undefined ? ` ${String((e as { code?: unknown }).code)}` : ''}: ${String(e?.message ?? err).slice(0, 300)}`,
    stack: String(e?.stack ?? '').split('\n').slice(1, 6).map(l => l.trim()).join(' | ')
  }
}

/** Fuzz one target: its seeds first, then `options.inputs` inputs in all. */
export async function fuzzTarget (target: FuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  const { inputs, seed, hangMs = 10_000, sampleEvery = 500 } = options
  const started = performance.now()
  await target.setup?.()
  const seeds = target.seeds()
  const generator = new InputGenerator(target, seeds, seed)
  const result: FuzzResult = {
    decoder: target.name, inputs: 0, crashes: 0, hangs: 0, typedErrors: 0, accepted: 0, peakRssMiB: 0, hugeLengthMaxGrowthMiB: 0, seconds: 0, seed, examples: []
  }
  const seen = new Set<string>()
  const sample = (): void => { result.peakRssMiB = Math.max(result.peakRssMiB, Math.round(process.memoryUsage().rss / MIB)) }
  try {
    for (let i = 0; i < inputs; i++) {
      // The seeds as they are first, then every 50th input a huge declared length (measured around its decode).
      const huge = i >= seeds.length && i % 50 === 0
      const input = i < seeds.length ? seeds[i] : huge ? generator.hugeLength() : generator.next()
      const before = huge ? process.memoryUsage().arrayBuffers : 0
      const outcome = await runOne(target, input, hangMs)
      if (huge) result.hugeLengthMaxGrowthMiB = Math.max(result.hugeLengthMaxGrowthMiB, Math.round((process.memoryUsage().arrayBuffers - before) / MIB))
      result.inputs++
      if (outcome.kind === 'accepted') result.accepted++
      else if (outcome.kind === 'typed') result.typedErrors++
      else if (outcome.kind === 'hang') {
        result.hangs++
        if (result.examples.length < 5) result.examples.push({ ...crashReport(input, new Error(`no answer in ${hangMs} ms`)), stack: 'hang' })
      } else {
        result.crashes++
        const report = crashReport(input, outcome.err)
        const key = `${report.error.slice(0, 80)}|${report.stack.split(' | ')[0]}`
        if (!seen.has(key) && result.examples.length < 5) {
          seen.add(key)
          result.examples.push(report)
        }
      }
      if (i % sampleEvery === 0) sample()
    }
  } finally {
    sample()
    await target.teardown?.()
  }
  result.seconds = Math.round((performance.now() - started) / 100) / 10
  return result
}
