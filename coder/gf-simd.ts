// GF(2^8) matrix products with WebAssembly SIMD: out[r] = sum over j of rows[r][j] · in[j], 16 bytes per step. A
// product c·x is looked up as LO_c[x & 15] ^ HI_c[x >> 4], two 16-entry tables per coefficient, each lookup one
// i8x16.swizzle (the split-table method of Plank, Greenan and Miller, "Screaming Fast Galois Field Arithmetic Using
// Intel SIMD Instructions", FAST 2013; klauspost/reedsolomon's SSSE3/AVX2 paths do the same). The module is 150 bytes,
// assembled below from its instructions, so there is no toolchain and no binary in the repo. One multiply-accumulate
// runs at ~10 GB/s on one core here (the crate's WebAssembly build, without SIMD: ~2.3 GB/s per parity row; the
// TypeScript table loop: ~0.55 GB/s), which puts RS(4,2) parity at ~0.2 s of one core per GB of file plus the copies
// into and out of the module's memory (docs/MANIFEST.md, "Latest coder figures").

/**
 * Bytes of each shard handled per pass. At least 512 KiB: V8 copies out of a WebAssembly memory ~10× slower below that
 * (0.36 s/GB for 32–256 KiB pieces, 0.04 at 512 KiB and 1 MiB, Node 20 here; copies in are fast at any size), and
 * the copies out would cost more than the arithmetic. The module's memory is (inputs + outputs) passes, then, e.g.
 * 3 MiB for RS(4,2); geometries past 128 shards use smaller passes to stay within MAX_PASS_BYTES.
 */
const CHUNK = 512 * 1024
const MAX_PASS_BYTES = 64 * 1024 * 1024
const PAGE = 65536

export interface GfMatrixKernel {
  /** outputs[r] = XOR over j of rows[r][j] · inputs[j] in GF(2^8) (0x11d); all arrays one length, outputs overwritten. */
  multiply (rows: number[][], inputs: Uint8Array[], outputs: Uint8Array[]): void
}

let kernel: GfMatrixKernel | null | undefined

/** The kernel, or undefined where WebAssembly SIMD is not available (the callers keep their scalar paths). */
export function simdKernel (): GfMatrixKernel | undefined {
  if (kernel === undefined) {
    try {
      kernel = new SimdKernel(new WebAssembly.Instance(new WebAssembly.Module(assemble())))
    } catch {
      kernel = null
    }
  }
  return kernel ?? undefined
}

class SimdKernel implements GfMatrixKernel {
  private readonly mulAdd: (tables: number, src: number, dst: number, len: number) => void
  private readonly mul: (tables: number, src: number, dst: number, len: number) => void
  private readonly memory: WebAssembly.Memory
  /** Split tables per coefficient, 32 bytes each, at the start of memory (256 × 32 = 8 KiB). */
  private readonly tablesReady = new Uint8Array(256)

  constructor (instance: WebAssembly.Instance) {
    this.mulAdd = instance.exports.mulAdd as SimdKernel['mulAdd']
    this.mul = instance.exports.mul as SimdKernel['mul']
    this.memory = instance.exports.memory as WebAssembly.Memory
  }

  multiply (rows: number[][], inputs: Uint8Array[], outputs: Uint8Array[]): void {
    const length = outputs[0]?.byteLength ?? 0
    const regions = inputs.length + outputs.length
    const chunk = Math.min(CHUNK, Math.floor(MAX_PASS_BYTES / regions / 16) * 16)
    const base = 256 * 32
    const need = base + regions * chunk
    if (this.memory.buffer.byteLength < need) this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / PAGE))
    for (const row of rows) for (const c of row) this.table(c)
    const heap = new Uint8Array(this.memory.buffer)
    const inAt = (j: number): number => base + j * chunk
    const outAt = (r: number): number => base + (inputs.length + r) * chunk
    for (let offset = 0; offset < length; offset += chunk) {
      const n = Math.min(chunk, length - offset)
      // Rounded up to whole 16-byte steps: the bytes past n are scratch, never copied out.
      const steps = (n + 15) & ~15
      inputs.forEach((input, j) => { heap.set(input.subarray(offset, offset + n), inAt(j)) })
      rows.forEach((row, r) => {
        // The first term is written (mul), the others added (mulAdd): no pass to zero the output first.
        let written = false
        row.forEach((c, j) => {
          if (c === 0) return
          ;(written ? this.mulAdd : this.mul)(c * 32, inAt(j), outAt(r), steps)
          written = true
        })
        if (!written) heap.fill(0, outAt(r), outAt(r) + steps)
        outputs[r].set(heap.subarray(outAt(r), outAt(r) + n), offset)
      })
    }
  }

  private table (c: number): void {
    if (this.tablesReady[c] === 1) return
    const heap = new Uint8Array(this.memory.buffer)
    for (let i = 0; i < 16; i++) {
      heap[c * 32 + i] = gfMul8(c, i)
      heap[c * 32 + 16 + i] = gfMul8(c, i << 4)
    }
    this.tablesReady[c] = 1
  }
}

/** c · x in GF(2^8) with 0x11d, bit by bit: only for the 32-byte tables. */
function gfMul8 (c: number, x: number): number {
  let product = 0
  for (let a = c, b = x; b !== 0; b >>= 1) {
    if ((b & 1) !== 0) product ^= a
    a = (a << 1) ^ ((a & 0x80) !== 0 ? 0x11d : 0)
  }
  return product & 0xff
}

// ---- the module ----------------------------------------------------------------------------------------------------

function leb (n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

function section (id: number, bytes: number[]): number[] {
  return [id, ...leb(bytes.length), ...bytes]
}

function vector (items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()]
}

/**
 * (module (memory (export "memory") 1)
 *   (func (export "mulAdd") (param $tables i32) (param $src i32) (param $dst i32) (param $len i32)
 *     dst[i] ^= swizzle(LO, src[i] & 15) ^ swizzle(HI, src[i] >> 4), 16 bytes per step, len a multiple of 16)
 *   (func (export "mul") …the same, dst[i] = …))
 */
function assemble (): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f
  const V128 = 0x7b
  const simd = (op: number): number[] => [0xfd, ...leb(op)]
  const LOAD = 0x00
  const STORE = 0x0b
  const SWIZZLE = 0x0e
  const SPLAT = 0x0f
  const AND = 0x4e
  const XOR = 0x51
  const SHR_U = 0x6d
  const get = (local: number): number[] => [0x20, local]
  const set = (local: number): number[] => [0x21, local]
  const i32 = (n: number): number[] => [0x41, ...leb(n)]
  const mem = (offset: number): number[] => [0, ...leb(offset)] // align 2^0, offset
  // params 0 tables, 1 src, 2 dst, 3 len; locals 4 end (i32), 5 lo, 6 hi, 7 mask (v128). `accumulate`: dst ^= product
  // (mulAdd), else dst = product (mul).
  const body = (accumulate: boolean): number[] => [
    ...vector([[1, I32], [3, V128]]),
    ...get(0), ...simd(LOAD), ...mem(0), ...set(5),
    ...get(0), ...simd(LOAD), ...mem(16), ...set(6),
    ...i32(15), ...simd(SPLAT), ...set(7),
    ...get(1), ...get(3), 0x6a, ...set(4), // end = src + len
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(1), ...get(4), 0x4f, 0x0d, 1, // br_if 1 (src >= end, unsigned)
    ...get(2),
    ...(accumulate ? [...get(2), ...simd(LOAD), ...mem(0)] : []),
    ...get(5), ...get(1), ...simd(LOAD), ...mem(0), ...get(7), ...simd(AND), ...simd(SWIZZLE),
    ...get(6), ...get(1), ...simd(LOAD), ...mem(0), ...i32(4), ...simd(SHR_U), ...simd(SWIZZLE),
    ...simd(XOR), ...(accumulate ? simd(XOR) : []),
    ...simd(STORE), ...mem(0),
    ...get(1), ...i32(16), 0x6a, ...set(1),
    ...get(2), ...i32(16), 0x6a, ...set(2),
    0x0c, 0, // br 0 (loop)
    0x0b, 0x0b, 0x0b // end loop, block, function
  ]
  const name = (text: string): number[] => vector([...new TextEncoder().encode(text)].map(b => [b]))
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32]]), ...vector([])]])),
    ...section(3, vector([[0], [0]])),
    ...section(5, vector([[0x00, ...leb(1)]])),
    ...section(7, vector([[...name('mulAdd'), 0x00, 0], [...name('mul'), 0x00, 1], [...name('memory'), 0x02, 0]])),
    ...section(10, vector([body(true), body(false)].map(b => [...leb(b.length), ...b])))
  ])
}
