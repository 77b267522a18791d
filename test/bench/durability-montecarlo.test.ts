// Monte Carlo durability (bench/durability/montecarlo.ts), its PRNG and its confidence interval, checked
// against reference vectors and against the analytic Markov model on parameters where losses are common.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Xoshiro128ss } from '../../bench/durability/prng.ts'
import { wilsonInterval } from '../../bench/durability/wilson.ts'
import { simulateLoss } from '../../bench/durability/montecarlo.ts'
import { lossProbability, pieceSurvival, type FileModel } from '../../bench/durability/analytic.ts'

const TRIALS = 200_000
const SEED = 20240601

describe('Xoshiro128ss', () => {
  it('reproduces the reference implementation', () => {
    // prng.di.unimi.it/xoshiro128starstar.c compiled with gcc, state {1, 2, 3, 4}, first eight outputs.
    const rng = new Xoshiro128ss([1, 2, 3, 4])
    const out = Array.from({ length: 8 }, () => rng.nextUint32())
    assert.deepEqual(out, [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849])
  })

  it('is deterministic per seed and different across seeds', () => {
    const a = new Xoshiro128ss(7)
    const b = new Xoshiro128ss(7)
    const c = new Xoshiro128ss(8)
    const seqA = Array.from({ length: 4 }, () => a.nextUint32())
    assert.deepEqual(seqA, Array.from({ length: 4 }, () => b.nextUint32()))
    assert.notDeepEqual(seqA, Array.from({ length: 4 }, () => c.nextUint32()))
    assert.throws(() => new Xoshiro128ss([0, 0, 0, 0]), RangeError)
  })

  it('draws uniforms in [0, 1) and exponentials with the right mean', () => {
    const rng = new Xoshiro128ss(1)
    let sumU = 0
    let sumE = 0
    const draws = 100_000
    for (let i = 0; i < draws; i++) {
      const u = rng.nextFloat()
      assert.ok(u >= 0 && u < 1, `u = ${u}`)
      sumU += u
      sumE += rng.nextExponential(4)
    }
    // Standard errors: 0.29/√N ≈ 0.0009 and 0.25/√N ≈ 0.0008; allow 5 of them.
    assert.ok(Math.abs(sumU / draws - 0.5) < 0.0046, `mean uniform ${sumU / draws}`)
    assert.ok(Math.abs(sumE / draws - 0.25) < 0.004, `mean exponential ${sumE / draws}`)
    assert.equal(rng.nextExponential(0), Infinity)
  })
})

describe('wilsonInterval', () => {
  it('matches hand-worked 95 % Wilson intervals', () => {
    // Worked by hand from Wilson's formula with z = 1.96: 1/10 → centre 0.21102 ± 0.19314; 5/10 → 0.5 ± 0.26341.
    const one = wilsonInterval(1, 10)
    assert.equal(one.low.toFixed(4), '0.0179')
    assert.equal(one.high.toFixed(4), '0.4042')
    const half = wilsonInterval(5, 10)
    assert.equal(half.low.toFixed(4), '0.2366')
    assert.equal(half.high.toFixed(4), '0.7634')
    const none = wilsonInterval(0, 10)
    assert.equal(none.low, 0)
    assert.equal(none.high.toFixed(4), (1.96 ** 2 / (10 + 1.96 ** 2)).toFixed(4))
    assert.equal(wilsonInterval(10, 10).high, 1)
    assert.throws(() => wilsonInterval(11, 10), { code: 'ERR_DURABILITY_PARAMS' })
  })
})

describe('simulateLoss against the Markov model', () => {
  // Harsh parameters (AFR 50 %, repairs of a month) so a 200k-trial run sees thousands of losses.
  const cases: Array<{ name: string, model: FileModel }> = [
    { name: 'replication x2', model: { k: 1, n: 2, afr: 0.5, repairHours: 720 } },
    { name: 'RS(4,2), all missing shards per pass', model: { k: 4, n: 6, afr: 0.5, repairHours: 720 } },
    { name: 'RS(2,2), one shard per pass', model: { k: 2, n: 4, afr: 0.6, repairHours: 1500, repairMode: 'one-at-a-time' } }
  ]
  for (const { name, model } of cases) {
    it(`${name}: the analytic loss lies in the 95 % interval`, () => {
      const mc = simulateLoss({ ...model, trials: TRIALS, seed: SEED })
      const analytic = lossProbability(model)
      assert.ok(mc.losses > 1000, `only ${mc.losses} losses`)
      assert.ok(analytic >= mc.ci95.low && analytic <= mc.ci95.high, `${analytic} outside [${mc.ci95.low}, ${mc.ci95.high}]`)
    })
  }

  it('has the power to tell the two repair modes apart', () => {
    // If the simulation ignored the mode, one of these two comparisons would fail.
    const model: FileModel = { k: 2, n: 4, afr: 0.6, repairHours: 1500 }
    const batch = simulateLoss({ ...model, repairMode: 'all-missing', trials: TRIALS, seed: SEED })
    const single = simulateLoss({ ...model, repairMode: 'one-at-a-time', trials: TRIALS, seed: SEED })
    const analyticBatch = lossProbability({ ...model, repairMode: 'all-missing' })
    const analyticSingle = lossProbability({ ...model, repairMode: 'one-at-a-time' })
    assert.ok(analyticBatch >= batch.ci95.low && analyticBatch <= batch.ci95.high, `${analyticBatch} outside [${batch.ci95.low}, ${batch.ci95.high}]`)
    assert.ok(analyticSingle > batch.ci95.high, 'one-at-a-time value must fall outside the all-missing interval')
    assert.ok(analyticBatch < single.ci95.low, 'all-missing value must fall outside the one-at-a-time interval')
  })

  it('without repair, matches the binomial tail', () => {
    const mc = simulateLoss({ k: 3, n: 5, afr: 0.3, repairHours: Infinity, trials: TRIALS, seed: SEED })
    const exact = pieceSurvival(3, 5, 0.3).loss
    assert.ok(exact >= mc.ci95.low && exact <= mc.ci95.high, `${exact} outside [${mc.ci95.low}, ${mc.ci95.high}]`)
  })

  it('a fixed repair time loses less than an exponential one of the same mean', () => {
    const model: FileModel = { k: 4, n: 6, afr: 0.5, repairHours: 720 }
    const fixed = simulateLoss({ ...model, repairDistribution: 'deterministic', trials: TRIALS, seed: SEED })
    assert.ok(fixed.ci95.high < lossProbability(model), 'the exponential assumption is the pessimistic one')
  })

  it('is reproducible for a seed and rejects a bad trial count', () => {
    const model = { k: 1, n: 2, afr: 0.5, repairHours: 720, trials: 10_000, seed: 3 }
    assert.deepEqual(simulateLoss(model), simulateLoss(model))
    assert.throws(() => simulateLoss({ ...model, trials: 0 }), { code: 'ERR_DURABILITY_PARAMS' })
  })
})
