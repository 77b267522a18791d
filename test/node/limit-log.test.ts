// One `limit.hit` line per peer and limit per interval, with the count of what the interval saw (node/limit-log.ts).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createEventLog } from '../../node/event-log.ts'
import { LimitLog, limitCodeOf } from '../../node/limit-log.ts'
import { BusyError, NotFoundError, QuotaExceededError } from '../../node/errors.ts'
import { waitFor } from '../harness/poll.ts'

function capture (): { lines: Array<Record<string, unknown>>, log: ReturnType<typeof createEventLog> } {
  const lines: Array<Record<string, unknown>> = []
  return { lines, log: createEventLog({ format: 'json', write: (line) => { lines.push(JSON.parse(line)) } }) }
}

describe('LimitLog', () => {
  it('logs the first hit at once, and a flood as one line with its count when the interval ends', async () => {
    const { lines, log } = capture()
    const limits = new LimitLog({ log, intervalMs: 200 })
    try {
      for (let i = 0; i < 1000; i++) limits.hit('peerA', 'ERR_BUSY', { protocol: '/p' })
      limits.hit('peerB', 'ERR_BUSY')
      limits.hit('peerA', 'ERR_RATE_LIMITED')
      assert.deepEqual(lines.map(l => [l.event, l.level, l.peer, l.code, l.count]), [
        ['limit.hit', 'warn', 'peerA', 'ERR_BUSY', 1], ['limit.hit', 'warn', 'peerB', 'ERR_BUSY', 1], ['limit.hit', 'warn', 'peerA', 'ERR_RATE_LIMITED', 1]
      ])
      assert.equal(lines[0].protocol, '/p')
      await waitFor(() => lines.length === 4, 10_000, 'the flood\'s summary line')
      assert.deepEqual([lines[3].peer, lines[3].code, lines[3].count], ['peerA', 'ERR_BUSY', 999])
    } finally {
      limits.stop()
    }
  })

  it('stop() logs what was counted', () => {
    const { lines, log } = capture()
    const limits = new LimitLog({ log, intervalMs: 60_000 })
    limits.hit('peerA', 'ERR_BUSY')
    limits.hit('peerA', 'ERR_BUSY')
    limits.stop()
    assert.deepEqual(lines.map(l => l.count), [1, 1])
  })

  it('knows a limit\'s refusal from other failures', () => {
    assert.equal(limitCodeOf(new BusyError('x', 2, 1, 'total')), 'ERR_BUSY')
    assert.equal(limitCodeOf(new QuotaExceededError('p', 2, 1, 2)), 'ERR_QUOTA_EXCEEDED')
    assert.equal(limitCodeOf(new NotFoundError('x')), undefined)
    assert.equal(limitCodeOf(new Error('plain')), undefined)
  })
})
