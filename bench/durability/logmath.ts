// Log-space helpers: probabilities of data loss are often far below 1e-15, where 1 - x loses every digit.

const EXACT_FACTORIALS: number[] = [1]
for (let i = 1; i <= 170; i++) EXACT_FACTORIALS.push(EXACT_FACTORIALS[i - 1] * i) // 171! overflows a double

/** ln(i!) for an integer i ≥ 0. Up to 170 from the double factorial (relative error ≤ i·2⁻⁵³); beyond,
 *  Stirling's series to the 1/i⁵ term, whose truncation error (< 1/(1680·i⁷)) is below double precision. */
export function lnFactorial (i: number): number {
  if (i <= 170) return Math.log(EXACT_FACTORIALS[i])
  const inv = 1 / i
  const inv2 = inv * inv
  return i * Math.log(i) - i + 0.5 * Math.log(2 * Math.PI * i) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260))
}

/** x · ln(y) with the convention 0 · ln(0) = 0 (a term with no lost piece has probability factor 1). */
export function xLogY (x: number, logY: number): number {
  return x === 0 ? 0 : x * logY
}

/** log(Σ exp(logs[i])) without overflow or underflow of the largest term; -Infinity for an empty sum. */
export function logSumExp (logs: number[]): number {
  let max = -Infinity
  for (const l of logs) if (l > max) max = l
  if (max === -Infinity) return -Infinity
  let sum = 0
  for (const l of logs) sum += Math.exp(l - max)
  return max + Math.log(sum)
}
