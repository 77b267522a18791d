// Small validators for untrusted wire messages: every field checked for type and bounds before use.
import { Packr } from 'msgpackr'
import { ProtocolError } from '../errors.ts'

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' })

export function encodeMessage (message: Record<string, unknown>): Uint8Array {
  const bytes = packr.pack(message)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Decode a MessagePack map; anything else is a protocol error. Binary fields still point into `bytes`. */
export function decodeMessage (bytes: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = packr.unpack(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (err) {
    throw new ProtocolError(`undecodable message: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new ProtocolError('message is not a map')
  }
  return value as Record<string, unknown>
}

export function str (m: Record<string, unknown>, field: string, maxLength: number): string {
  const v = m[field]
  if (typeof v !== 'string' || v.length > maxLength) throw new ProtocolError(`field ${field}: expected a string of at most ${maxLength} characters`)
  return v
}

export function optStr (m: Record<string, unknown>, field: string, maxLength: number): string | undefined {
  return m[field] === undefined || m[field] === null ? undefined : str(m, field, maxLength)
}

export function int (m: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = m[field]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new ProtocolError(`field ${field}: expected an integer in [${min}, ${max}]`)
  return v
}

export function optInt (m: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  return m[field] === undefined || m[field] === null ? undefined : int(m, field, min, max)
}

export function num (m: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = m[field]
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ProtocolError(`field ${field}: expected a number in [${min}, ${max}]`)
  return v
}

export function optNum (m: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  return m[field] === undefined || m[field] === null ? undefined : num(m, field, min, max)
}

export function bool (m: Record<string, unknown>, field: string): boolean {
  const v = m[field]
  if (typeof v !== 'boolean') throw new ProtocolError(`field ${field}: expected a boolean`)
  return v
}

/** A binary field, copied out of the frame it arrived in. */
export function bytes (m: Record<string, unknown>, field: string, maxLength: number): Uint8Array {
  const v = m[field]
  if (!(v instanceof Uint8Array) || v.byteLength > maxLength) throw new ProtocolError(`field ${field}: expected at most ${maxLength} bytes`)
  return new Uint8Array(v)
}

export function list<T> (m: Record<string, unknown>, field: string, maxItems: number, item: (value: unknown, i: number) => T): T[] {
  const v = m[field]
  if (!Array.isArray(v) || v.length > maxItems) throw new ProtocolError(`field ${field}: expected a list of at most ${maxItems} items`)
  return v.map(item)
}

export function record (value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ProtocolError(`${what}: expected a map`)
  return value as Record<string, unknown>
}
