// The fuzzer's short seeded run in `npm test` (the long one is `npm run test:fuzz`; docs/FUZZING.md): every decoder of
// wire and disk input gets the same generated and mutated inputs each run, and must return or throw a typed error.
// Each target's known-bad input must be refused with its code, so a decoder that accepted everything would fail here.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fuzzTarget, utf8, type FuzzTarget } from './engine.ts'
import { TARGETS } from './targets.ts'
import { FollowService, parseFollowsFile } from '../../node/mirror/follow-service.ts'
import type { RecordBook } from '../../node/mirror/record-book.ts'
import { EdgemirrorError } from '../../node/errors.ts'

const SEED = 19
/** Inputs per decoder: ~1 s for most on a busy 2-core machine; the slow ones (HTTP, real files) get fewer. */
const INPUTS = 1000
const SLOW_INPUTS = 100
/** An HTTP round trip per input; the file.* targets say so themselves (their `inputs`). */
const SLOW = new Set(['api.requests'])

/** The code a target's decoder refuses `input` with, or a summary of what it answered. */
async function outcomeOf (target: FuzzTarget, input: Uint8Array): Promise<string> {
  try {
    const result = await target.decode(input)
    if (result !== null && typeof result === 'object' && 'kind' in result) return String(result.kind)
    return String(result)
  } catch (err) {
    return String((err as { code?: unknown }).code ?? (err as Error).name)
  }
}

describe('fuzz: every decoder of wire and disk input (seeded)', () => {
  for (const target of TARGETS) {
    it(`${target.name}: no crash, no hang, and its known-bad input is refused`, async () => {
      const result = await fuzzTarget(target, { inputs: target.inputs === undefined && !SLOW.has(target.name) ? INPUTS : SLOW_INPUTS, seed: SEED })
      assert.deepEqual(result.examples, [], `${target.name} crashed or hung`)
      assert.equal(result.crashes, 0)
      assert.equal(result.hangs, 0)
      // Some inputs got through and some did not: a decoder that refused (or accepted) everything is not being tested.
      assert.ok(result.accepted > 0, `${target.name} accepted none of its inputs, not even its seeds`)
      await target.setup?.()
      try {
        assert.equal(await outcomeOf(target, target.knownBad.input), target.knownBad.code)
      } finally {
        await target.teardown?.()
      }
    })
  }
})

describe('fuzz: regressions (crashes the fuzzer found, now typed errors)', () => {
  it('follows.json holding null, or a null entry, is ERR_CONFIG or a skipped entry, not a TypeError', () => {
    assert.throws(() => parseFollowsFile('null', 'follows.json'), { code: 'ERR_CONFIG' })
    assert.throws(() => parseFollowsFile('{"version":1,"follows":', 'follows.json'), { code: 'ERR_CONFIG' })
    const { follows, skipped } = parseFollowsFile('{"version":1,"follows":[null,{"address":7}]}', 'follows.json')
    assert.deepEqual(follows, [])
    assert.equal(skipped.length, 2)
  })

  it('a control API path segment with a malformed percent-escape is ERR_USAGE, not ERR_INTERNAL', async () => {
    const api = TARGETS.find(t => t.name === 'api.requests')
    assert.ok(api !== undefined)
    await api.setup?.()
    try {
      // Byte 0 picks GET /v1/fetch/<segment>; 0xdd 0xff escape as %dd%ff, which is no UTF-8.
      await assert.rejects(async () => { await api.decode(Uint8Array.of(5, 0xdd, 0xff)) }, (err: unknown) => err instanceof EdgemirrorError && err.code === 'ERR_USAGE')
      await assert.rejects(async () => { await api.decode(Uint8Array.of(5, ...utf8('%E0%A4%A'))) }, { code: 'ERR_USAGE' })
    } finally {
      await api.teardown?.()
    }
  })

  it('the follow service meets a follows.json of null on disk with ERR_CONFIG, and skips a null entry', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'edgemirror-fuzz-follows-'))
    t.after(async () => { await rm(dir, { recursive: true, force: true }) })
    const stateFile = join(dir, 'follows.json')
    // The surroundings of a follow service that only loads its file: no records, no swarm.
    const service = (): FollowService => new FollowService({
      book: { onNewest: () => () => {} } as unknown as RecordBook,
      trees: { entries: async () => { throw new Error('unused') } },
      fetchFile: async () => { throw new Error('unused') },
      trusts: () => true,
      stateFile
    })
    await writeFile(stateFile, 'null')
    await assert.rejects(service().start(), { code: 'ERR_CONFIG' })
    await writeFile(stateFile, '{"version":1,"follows":[null]}')
    const loaded = service()
    await loaded.start()
    t.after(async () => { await loaded.stop() })
    assert.deepEqual(loaded.views(), [])
  })
})
