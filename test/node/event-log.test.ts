import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NotEnoughPeersError } from '../../node/errors.ts'
import { createEventLog, formatLogLine, logOutcome, type LogFormat } from '../../node/event-log.ts'

const TIME = new Date('2026-03-01T12:00:00.000Z')

function capture (format: LogFormat, level?: 'info' | 'warn' | 'error' | 'silent'): { lines: string[], log: ReturnType<typeof createEventLog> } {
  const lines: string[] = []
  return { lines, log: createEventLog({ format, level, write: (line) => { lines.push(line) }, now: () => TIME }) }
}

describe('event log', () => {
  it('json: one object per line, time, level and event first, undefined fields left out', () => {
    const { lines, log } = capture('json')
    log.info('share', { cid: 'bafyX', size: 1024, k: 4, m: 2, ms: 12, warnings: undefined, shards: [0, 3] })
    assert.equal(lines.length, 1)
    assert.ok(lines[0].endsWith('\n') && !lines[0].slice(0, -1).includes('\n'))
    assert.deepEqual(JSON.parse(lines[0]), { time: TIME.toISOString(), level: 'info', event: 'share', cid: 'bafyX', size: 1024, k: 4, m: 2, ms: 12, shards: [0, 3] })
    assert.deepEqual(Object.keys(JSON.parse(lines[0])).slice(0, 3), ['time', 'level', 'event'])
  })

  it('a field cannot overwrite time, level or event', () => {
    const line = formatLogLine({ time: TIME, level: 'info', event: 'fetch', fields: { level: 'error', event: 'forged', time: 'x', cid: 'c' } }, 'json')
    assert.deepEqual(JSON.parse(line), { time: TIME.toISOString(), level: 'info', event: 'fetch', cid: 'c' })
  })

  it('text: key=value, quoted when a value could be mistaken for more fields or another line', () => {
    const line = formatLogLine({
      time: TIME, level: 'error', event: 'fetch', fields: { cid: 'bafyX', code: 'ERR_NOT_ENOUGH_SHARDS', error: 'peer says: bad\n2026-01-01 info share cid=forged', shards: [1, 2], ok: false, free: null }
    }, 'text')
    assert.equal(line, '2026-03-01T12:00:00.000Z error fetch cid=bafyX code=ERR_NOT_ENOUGH_SHARDS error="peer says: bad\\n2026-01-01 info share cid=forged" shards=1,2 ok=false free=null')
    assert.equal(formatLogLine({ time: TIME, level: 'info', event: 'x', fields: { a: 'k=v', b: 'say "hi"', c: '', d: 'é' } }, 'text'),
      '2026-03-01T12:00:00.000Z info  x a="k=v" b="say \\"hi\\"" c="" d="é"')
  })

  it('drops lines below its level, and logs nothing at silent', () => {
    const warnings = capture('text', 'warn')
    warnings.log.info('share', {})
    warnings.log.warn('peer.dead', { peer: 'p' })
    warnings.log.error('repair', { cid: 'c' })
    assert.deepEqual(warnings.lines.map(l => l.split(' ')[1]), ['warn', 'error'])
    const silent = capture('json', 'silent')
    silent.log.error('repair', {})
    assert.deepEqual(silent.lines, [])
  })

  it('logOutcome: info with the result\'s fields and the duration, or error with the failure\'s code (rethrown)', async () => {
    const { lines, log } = capture('json')
    assert.equal(await logOutcome(log, 'share', { size: 10, k: 2, m: 1 }, async () => 'bafyY', cid => ({ cid })), 'bafyY')
    const failure = new NotEnoughPeersError(2, 3, {})
    await assert.rejects(logOutcome(log, 'share', { size: 10, k: 2, m: 1 }, async () => { throw failure }), failure)
    await assert.rejects(logOutcome(log, 'fetch', { cid: 'c' }, async () => { throw new Error('boom') }))
    const [ok, failed, untyped] = lines.map(l => JSON.parse(l))
    assert.equal(ok.level, 'info')
    assert.equal(ok.cid, 'bafyY')
    assert.equal(typeof ok.ms, 'number')
    assert.equal(failed.level, 'error')
    assert.equal(failed.code, 'ERR_NOT_ENOUGH_PEERS')
    assert.equal(failed.k, 2)
    assert.match(failed.error, /3/)
    assert.equal(untyped.code, 'ERR_INTERNAL')
    assert.equal(untyped.error, 'boom')
  })
})
