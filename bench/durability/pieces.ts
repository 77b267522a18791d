// Static durability of one object: n pieces, any k rebuild it, each piece lost independently with probability p.
// No repair and no time: this is the snapshot model of the Storj whitepaper (v3, §3.4) and of most RS tables.
import { lnFactorial, logSumExp, xLogY } from './logmath.ts'
import { checkCode, checkProbability } from './params.ts'

export interface PieceSurvival {
  /** P(at least k of n pieces survive). */
  survival: number
  /** P(fewer than k survive), summed from the loss tail itself, never formed as 1 - survival. */
  loss: number
  /** log10(loss): still finite when loss underflows a double (k=100, n=150 and friends). */
  log10Loss: number
}

/**
 * Binomial tail: each of n pieces is lost independently with probability p.
 *   loss = Σ_{j=0}^{k-1} C(n,j) (1-p)^j p^(n-j)      (j = surviving pieces)
 * Every term is formed in log space, so a loss of 1e-40 is as accurate as one of 0.3. `survival` is 1 - loss
 * while loss < 0.5 (exact to a double's last bit there) and the upper tail summed directly otherwise.
 */
export function pieceSurvival (k: number, n: number, p: number): PieceSurvival {
  checkCode(k, n)
  checkProbability('p', p)
  const logKeep = Math.log1p(-p)
  const logLose = Math.log(p)
  const lnN = lnFactorial(n)
  const logTerm = (j: number): number => lnN - lnFactorial(j) - lnFactorial(n - j) + xLogY(j, logKeep) + xLogY(n - j, logLose)
  const lower: number[] = []
  for (let j = 0; j < k; j++) lower.push(logTerm(j))
  const upper: number[] = []
  for (let j = k; j <= n; j++) upper.push(logTerm(j))
  return fromTails(logSumExp(lower), () => logSumExp(upper))
}

/**
 * The Storj whitepaper's approximation (v3 §3.4; storj/whitepaper calc.py): the number of pieces lost is
 * Poisson with mean λ = p·n rather than Binomial(n, p), so
 *   survival = e^{-λ} Σ_{i=0}^{n-k} λ^i / i!        loss = e^{-λ} Σ_{i>n-k} λ^i / i!
 * It overstates loss (the Poisson tail is heavier and allows more than n losses); it is here to reproduce the
 * paper's published numbers, see selfCheck() in storj.ts.
 */
export function poissonPieceSurvival (k: number, n: number, p: number): PieceSurvival {
  checkCode(k, n)
  checkProbability('p', p)
  const lambda = p * n
  if (lambda === 0) return { survival: 1, loss: 0, log10Loss: -Infinity }
  const logLambda = Math.log(lambda)
  const logTerm = (i: number): number => -lambda + xLogY(i, logLambda) - lnFactorial(i)
  const maxLost = n - k
  const tail: number[] = []
  let largest = -Infinity
  // Past the mode the terms fall at least geometrically; stop 40 decades under the largest term seen.
  for (let i = maxLost + 1; ; i++) {
    const t = logTerm(i)
    tail.push(t)
    if (t > largest) largest = t
    if (i > lambda + 1 && t < largest - 40 * Math.LN10) break
  }
  const head: number[] = []
  for (let i = 0; i <= maxLost; i++) head.push(logTerm(i))
  return fromTails(logSumExp(tail), () => logSumExp(head))
}

function fromTails (logLoss: number, logSurvival: () => number): PieceSurvival {
  const loss = Math.exp(logLoss)
  const survival = loss < 0.5 ? 1 - loss : Math.exp(logSurvival())
  return { survival, loss, log10Loss: logLoss / Math.LN10 }
}
