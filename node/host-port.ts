// HOST:PORT as the --api and --gateway flags take it ('127.0.0.1:4080', '[::1]:0').
import { UsageError } from './errors.ts'

export function splitHostPort (flag: string, value: string): { host: string, port: number } {
  const at = value.lastIndexOf(':')
  const host = value.slice(0, at).replace(/^\[|\]$/g, '')
  const port = value.slice(at + 1)
  if (at <= 0 || host === '' || !/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`${flag} wants HOST:PORT, got ${JSON.stringify(value)}`)
  return { host, port: Number(port) }
}
