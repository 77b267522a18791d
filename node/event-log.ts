// The daemon's event log: one line per share, fetch, repair, peer join/leave and daemon start/stop, for the operator
// (docs/LOGS.md). Human-readable text by default, JSON lines with `daemon --log-format json`; always on stderr, so
// stdout stays the CLI's. Detail for developers stays behind DEBUG= (@libp2p/logger): the two never mix.
// Hand-written, not pino: docs/DEPENDENCIES.md, "Logging".
import { classifyError, EdgemirrorError } from './errors.ts'

export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = typeof LOG_FORMATS[number]
/** `silent` logs nothing (the library's default: an embedding program decides where its logs go). */
export const LOG_LEVELS = ['info', 'warn', 'error', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

export type LogValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>
/** An event's fields: cid, size, k, m, ms, peer, code…; undefined ones are left out of the line. */
export type LogFields = Record<string, LogValue>

export interface EventLog {
  info: (event: string, fields?: LogFields) => void
  warn: (event: string, fields?: LogFields) => void
  error: (event: string, fields?: LogFields) => void
}

export interface LogRecord { time: Date, level: Exclude<LogLevel, 'silent'>, event: string, fields: LogFields }

export interface EventLogInit {
  format?: LogFormat
  level?: LogLevel
  /** Where each finished line goes (with its newline); default stderr. Tests pass an array's push. */
  write?: (line: string) => void
  now?: () => Date
}

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2, silent: 3 }

export const silentLog: EventLog = { info: () => {}, warn: () => {}, error: () => {} }

export function createEventLog (init: EventLogInit = {}): EventLog {
  const { format = 'text', level = 'info' } = init
  // process.stderr is synchronous for files and pipes on POSIX: a line written before a crash is not lost in a buffer.
  const write = init.write ?? ((line: string) => { process.stderr.write(line) })
  const now = init.now ?? (() => new Date())
  const at = (recordLevel: LogRecord['level']) => (event: string, fields: LogFields = {}): void => {
    if (RANK[recordLevel] < RANK[level]) return
    write(formatLogLine({ time: now(), level: recordLevel, event, fields }, format) + '\n')
  }
  return { info: at('info'), warn: at('warn'), error: at('error') }
}

/**
 * One record as one line, without its newline. json: an object with time, level, event and then the fields (a field
 * cannot overwrite those three). text: `time level event key=value …`, a value quoted as JSON when it holds anything
 * but printable ASCII without spaces, quotes or `=`, so a peer's error message cannot forge a line or a field.
 */
export function formatLogLine (record: LogRecord, format: LogFormat): string {
  const fields = Object.entries(record.fields).filter(([key, value]) => value !== undefined && !(key in HEAD))
  if (format === 'json') {
    return JSON.stringify({ time: record.time.toISOString(), level: record.level, event: record.event, ...Object.fromEntries(fields) })
  }
  const text = fields.map(([key, value]) => `${key}=${textValue(value)}`)
  return [record.time.toISOString(), record.level.padEnd(5), textValue(record.event), ...text].join(' ')
}

const HEAD = { time: true, level: true, event: true }

function textValue (value: LogValue): string {
  const text = Array.isArray(value) ? value.join(',') : String(value)
  return /^[!#-<>-~]+$/.test(text) ? text : JSON.stringify(text)
}

/** The fields of a failure: its stable code (as the CLI would print it; ERR_INTERNAL for an unknown cause) and message. */
export function failureFields (err: unknown): LogFields {
  const typed = classifyError(err)
  return { code: typed instanceof EdgemirrorError ? typed.code : 'ERR_INTERNAL', error: typed instanceof Error ? typed.message : String(typed) }
}

/**
 * Run `work` and log its outcome as `event`: info with `fields`, the result's own fields and the duration on success;
 * error with `fields`, the duration and the failure's code on failure (rethrown). `started` when the operation began
 * before `work` (a fetch's body streams after its start returned).
 */
export async function logOutcome<T> (log: EventLog, event: string, fields: LogFields, work: () => Promise<T>, describe: (result: T) => LogFields = () => ({}), started = Date.now()): Promise<T> {
  try {
    const result = await work()
    log.info(event, { ...fields, ...describe(result), ms: Date.now() - started })
    return result
  } catch (err) {
    log.error(event, { ...fields, ms: Date.now() - started, ...failureFields(err) })
    throw err
  }
}
