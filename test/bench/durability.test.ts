// The analytic durability models (bench/durability/): piece-survival tails, the Storj self-check, the Markov
// model with repair and the scheme comparison, against hand-computed values, exact rational arithmetic and
// closed forms derived independently of the code under test.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  compareAtEqualOverhead, lossProbability, markovDurability, mttdlYears, pieceSurvival, poissonPieceSurvival,
  schemesWithOverhead, selfCheck, failureRatePerYear, repairRatePerYear, reedSolomon, type FileModel
} from '../../bench/durability/analytic.ts'

function assertClose (actual: number, expected: number, relative: number, message = ''): void {
  const error = Math.abs(actual - expected) / Math.abs(expected)
  assert.ok(error <= relative, `${message} expected ${expected}, got ${actual} (relative error ${error.toExponential(2)} > ${relative})`)
}

/** Exact loss = Σ_{j<k} C(n,j) (1-p)^j p^(n-j) for p = num/1000, in integers. */
function exactBinomialLoss (k: number, n: number, num: number): number {
  const keep = BigInt(1000 - num)
  const lose = BigInt(num)
  let numerator = 0n
  let choose = 1n
  for (let j = 0; j < k; j++) {
    numerator += choose * keep ** BigInt(j) * lose ** BigInt(n - j)
    choose = choose * BigInt(n - j) / BigInt(j + 1)
  }
  return Number(numerator) / Number(1000n ** BigInt(n))
}

describe('pieceSurvival (binomial tail)', () => {
  it('matches hand-computed small cases', () => {
    const pair = pieceSurvival(1, 2, 0.5)
    assert.equal(pair.loss, 0.25)
    assert.equal(pair.survival, 0.75)
    assertClose(pair.log10Loss, Math.log10(0.25), 1e-15)
    assertClose(pieceSurvival(2, 3, 0.5).loss, 0.5, 1e-15) // p³ + 3p²(1-p)
    assertClose(pieceSurvival(2, 3, 0.1).loss, 0.028, 1e-14) // 0.001 + 3·0.01·0.9
    assertClose(pieceSurvival(3, 3, 0.1).loss, 0.271, 1e-14) // 1 - 0.9³
    assertClose(pieceSurvival(2, 3, 0.1).survival, 0.972, 1e-15)
    assert.equal(pieceSurvival(1, 4, 0).loss, 0)
    assert.equal(pieceSurvival(1, 4, 1).loss, 1)
  })

  it('keeps tiny loss probabilities that 1 - survival would round away', () => {
    const r = pieceSurvival(1, 3, 1e-6) // all three copies lost: exactly p³
    assertClose(r.loss, 1e-18, 1e-12)
    assert.equal(r.survival, 1) // 1 - 1e-18 is 1 in a double; the loss must not be derived from it
    const under = pieceSurvival(1, 10, 1e-40) // 1e-400 underflows a double, its logarithm does not
    assert.equal(under.loss, 0)
    assertClose(under.log10Loss, -400, 1e-12)
  })

  it('agrees with exact rational arithmetic on random codes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 999 }),
      (k, m, num) => {
        const n = k + m
        const r = pieceSurvival(k, n, num / 1000)
        assertClose(r.loss, exactBinomialLoss(k, n, num), 1e-11, `k=${k} n=${n} p=${num / 1000}`)
        // Both tails are summed independently once loss ≥ 0.5; each term carries ~1e-14 from its logarithm.
        assert.ok(Math.abs(r.loss + r.survival - 1) <= 5e-14, `loss + survival = ${r.loss + r.survival}`)
      }
    ), { numRuns: 300 })
  })

  it('rejects impossible parameters with a stable code', () => {
    assert.throws(() => pieceSurvival(3, 2, 0.1), { code: 'ERR_DURABILITY_PARAMS' })
    assert.throws(() => pieceSurvival(1, 2, 1.5), { code: 'ERR_DURABILITY_PARAMS' })
    assert.throws(() => pieceSurvival(1.5, 2, 0.1), { code: 'ERR_DURABILITY_PARAMS' })
  })
})

describe('Storj whitepaper v3 self-check', () => {
  it('reproduces 99.99999981 % for k=20, n=40, p=10 %, and every row of the §3.4 tables', () => {
    const check = selfCheck()
    assert.equal(check.matches, true)
    assert.equal(check.computedPercent.toFixed(8), '99.99999981')
    assert.ok(check.allRowsMatch, JSON.stringify(check.rows.filter(r => !r.matches)))
    assert.equal(check.rows.length, 16)
  })

  it('needs the Poisson approximation: the exact binomial gives a ~100x smaller loss', () => {
    // Exact value with Python fractions: 1 - Σ_{i≥20} C(40,i) 0.9^i 0.1^(40-i) = 1.9596595333158913e-11.
    assertClose(pieceSurvival(20, 40, 0.1).loss, 1.9596595333158913e-11, 1e-11)
    assert.notEqual(selfCheck().binomialPercent.toFixed(8), '99.99999981')
    // e^{-4} Σ_{i>20} 4^i/i!, from Python's Decimal at 60 digits.
    assertClose(poissonPieceSurvival(20, 40, 0.1).loss, 1.92305845941469537e-9, 1e-13)
  })
})

describe('Markov model of one file with repair', () => {
  it('reduces to the binomial tail with p = 1 - e^{-λt} when nothing is repaired', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 8 }), fc.double({ min: 0.001, max: 0.9, noNaN: true }),
      fc.double({ min: 0.05, max: 5, noNaN: true }),
      (k, m, afr, years) => {
        const n = k + m
        const p = -Math.expm1(-failureRatePerYear(afr) * years)
        assertClose(lossProbability({ k, n, afr, repairHours: Infinity }, years), pieceSurvival(k, n, p).loss, 1e-9, `k=${k} n=${n} afr=${afr} t=${years}`)
      }
    ), { numRuns: 200 })
  })

  it('matches the closed form of a mirrored pair', () => {
    // Transient states {2 live, 1 live}: eigenvalues r² + (3λ+μ) r + 2λ² = 0, P(alive at t) = (r₂e^{r₁t} - r₁e^{r₂t})/(r₂ - r₁).
    for (const [afr, repairHours] of [[0.3, 100], [0.05, 24], [0.5, 2000]]) {
      const lambda = -Math.log(1 - afr)
      const mu = 8766 / repairHours
      const b = 3 * lambda + mu
      const c = 2 * lambda * lambda
      const r2 = (-b - Math.sqrt(b * b - 4 * c)) / 2
      const r1 = c / r2 // Vieta: avoids the cancellation in (-b + √…)/2
      const alive = (r2 * Math.exp(r1) - r1 * Math.exp(r2)) / (r2 - r1)
      // 1 - alive loses digits when alive ≈ 1, so allow for that in the reference, not in the model.
      const reference = 1 - alive
      const tolerance = 1e-9 + 4e-16 / reference
      for (const repairMode of ['all-missing', 'one-at-a-time'] as const) {
        assertClose(lossProbability({ k: 1, n: 2, afr, repairHours, repairMode }), reference, tolerance, `afr=${afr} h=${repairHours}`)
        assertClose(mttdlYears({ k: 1, n: 2, afr, repairHours, repairMode }), (3 * lambda + mu) / (2 * lambda * lambda), 1e-13)
      }
    }
  })

  it('cannot help a single copy: k = n = 1 loses with probability AFR', () => {
    assertClose(lossProbability({ k: 1, n: 1, afr: 0.05, repairHours: 1 }), 0.05, 1e-13)
    assertClose(mttdlYears({ k: 1, n: 1, afr: 0.05, repairHours: 1 }), 1 / failureRatePerYear(0.05), 1e-15)
  })

  it('MTTDL without repair is the sum of the mean times to each loss, Σ 1/(iλ)', () => {
    const lambda = failureRatePerYear(0.2)
    let expected = 0
    for (let i = 4; i <= 6; i++) expected += 1 / (i * lambda)
    assertClose(mttdlYears({ k: 4, n: 6, afr: 0.2, repairHours: Infinity }), expected, 1e-14)
  })

  it('one year of loss agrees with 1 - e^{-t/MTTDL} for rare losses (two independent computations)', () => {
    for (const [k, n] of [[1, 2], [1, 3], [4, 6], [6, 9], [10, 14]]) {
      for (const repairHours of [1, 24]) {
        const model = { k, n, afr: 0.05, repairHours }
        const viaMttdl = -Math.expm1(-1 / mttdlYears(model))
        // The chain starts whole, so the first hours carry slightly less risk than the steady state: ≤ 2 % here.
        const loss = lossProbability(model)
        assert.ok(loss < viaMttdl && loss > viaMttdl * 0.98, `k=${k} n=${n} h=${repairHours}: ${loss} vs ${viaMttdl}`)
      }
    }
  })

  it('one parity shard makes both repair modes the same chain', () => {
    const base = { k: 4, n: 5, afr: 0.1, repairHours: 48 }
    assertClose(lossProbability({ ...base, repairMode: 'one-at-a-time' }), lossProbability({ ...base, repairMode: 'all-missing' }), 1e-12)
    assertClose(mttdlYears({ ...base, repairMode: 'one-at-a-time' }), mttdlYears({ ...base, repairMode: 'all-missing' }), 1e-12)
  })

  it('repairing all missing shards in one pass beats one at a time once two can be missing', () => {
    // The gap is large when repair is slow compared with failures (a second loss during repair is likely) …
    const slow = { k: 2, n: 4, afr: 0.6, repairHours: 1500 }
    const slowBatch = lossProbability({ ...slow, repairMode: 'all-missing' })
    const slowSingle = lossProbability({ ...slow, repairMode: 'one-at-a-time' })
    assert.ok(slowBatch < slowSingle * 0.95, `${slowBatch} vs ${slowSingle}`)
    assert.ok(mttdlYears({ ...slow, repairMode: 'all-missing' }) > mttdlYears({ ...slow, repairMode: 'one-at-a-time' }) * 1.05, 'MTTDL')
    // … and second order when repair is fast, since two shards are then rarely missing at once.
    const fast = { k: 4, n: 6, afr: 0.1, repairHours: 48 }
    const fastBatch = lossProbability({ ...fast, repairMode: 'all-missing' })
    const fastSingle = lossProbability({ ...fast, repairMode: 'one-at-a-time' })
    assert.ok(fastBatch < fastSingle && fastBatch > fastSingle * 0.99, `${fastBatch} vs ${fastSingle}`)
  })

  it('loses less with faster repair and more with a higher AFR', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      fc.double({ min: 0.5, max: 2000, noNaN: true }), fc.double({ min: 1.2, max: 10, noNaN: true }),
      fc.constantFrom('all-missing' as const, 'one-at-a-time' as const),
      (k, m, afr, repairHours, factor, repairMode) => {
        const model: FileModel = { k, n: k + m, afr, repairHours, repairMode }
        const loss = lossProbability(model)
        assert.ok(loss > 0, 'loss > 0')
        assert.ok(lossProbability({ ...model, repairHours: repairHours / factor }) < loss, 'faster repair')
        assert.ok(lossProbability({ ...model, repairHours: Infinity }) > loss, 'no repair')
        assert.ok(lossProbability({ ...model, afr: afr / factor }) < loss, 'lower AFR')
        assert.ok(mttdlYears({ ...model, repairHours: repairHours / factor }) > mttdlYears(model), 'MTTDL with faster repair')
      }
    ), { numRuns: 100 })
  })

  it('stays exact for stiff chains (repair in a minute, losses near 1e-30)', () => {
    const model = { k: 10, n: 14, afr: 0.05, repairHours: 1 / 60 }
    const loss = lossProbability(model)
    assert.ok(loss > 0 && loss < 1e-20, `loss ${loss}`)
    const viaMttdl = -Math.expm1(-1 / mttdlYears(model))
    assertClose(loss, viaMttdl, 0.02)
  })

  it('converts AFR and repair time to rates as documented', () => {
    assertClose(failureRatePerYear(0.05), -Math.log(0.95), 1e-15)
    assert.equal(repairRatePerYear(24), 365.25)
    assert.equal(repairRatePerYear(Infinity), 0)
    const d = markovDurability({ k: 4, n: 6, afr: 0.05, repairHours: 24 })
    assertClose(d.nines, -Math.log10(d.lossProbability), 1e-15)
    assert.equal(d.repairMode, 'all-missing')
    assert.throws(() => lossProbability({ k: 1, n: 2, afr: 1, repairHours: 1 }), { code: 'ERR_DURABILITY_PARAMS' })
    assert.throws(() => lossProbability({ k: 1, n: 2, afr: 0.1, repairHours: 0 }), { code: 'ERR_DURABILITY_PARAMS' })
    assert.throws(() => lossProbability({ k: 1, n: 2, afr: 0.1, repairHours: 1 }, -1), { code: 'ERR_DURABILITY_PARAMS' })
  })
})

describe('compareAtEqualOverhead', () => {
  it('lists the default schemes with overhead n/k, sorted by overhead', () => {
    const rows = compareAtEqualOverhead({ afr: 0.05, repairHours: 24 })
    assert.deepEqual(rows.map(r => r.name), ['RS(10,4)', 'RS(6,3)', 'RS(4,2)', 'replication x2', 'replication x3'])
    assert.deepEqual(rows.map(r => r.overhead), [1.4, 1.5, 1.5, 2, 3])
    for (const r of rows) {
      assert.ok(r.lossProbability < r.noRepairLossProbability, r.name)
      assertClose(r.nines, -Math.log10(r.lossProbability), 1e-15)
    }
  })

  it('at equal overhead, wider codes are more durable (the Storj argument, here with repair)', () => {
    const schemes = schemesWithOverhead(1.5, 12)
    assert.deepEqual(schemes.map(s => [s.k, s.m]), [[2, 1], [4, 2], [6, 3], [8, 4]])
    const rows = compareAtEqualOverhead({ afr: 0.05, repairHours: 24, schemes })
    assert.deepEqual(rows.map(r => r.name), ['RS(8,4)', 'RS(6,3)', 'RS(4,2)', 'RS(2,1)'])
    assert.deepEqual(schemesWithOverhead(2, 4).map(s => s.name), ['replication x2', 'RS(2,2)'])
  })

  it('takes any (k, m)', () => {
    const [row] = compareAtEqualOverhead({ afr: 0.05, repairHours: 1, schemes: [reedSolomon(20, 20)] })
    assert.equal(row.n, 40)
    assert.equal(row.overhead, 2)
    assertClose(row.noRepairLossProbability, pieceSurvival(20, 40, 0.05).loss, 1e-12)
  })
})
