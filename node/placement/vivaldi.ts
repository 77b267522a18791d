// Vivaldi network coordinates (Dabek, Cox, Kaashoek, Morris, "Vivaldi: A Decentralized Network Coordinate System",
// SIGCOMM 2004), in the form HashiCorp Serf and Consul run it (serf/coordinate): Euclidean coordinates plus a
// "height" (the access-link delay every path pays), an error estimate per node, and an adaptive timestep. After a
// few rounds of pings, estimateRtt(a, b) predicts the RTT between two nodes that never pinged each other, so
// placement can score peers it has not measured. Pure: update returns a new coordinate.

export interface VivaldiConfig {
  dimensions: number
  /** ce: how fast the error estimate follows the observed relative error (Dabek et al. sec. 3.4). */
  ce: number
  /** cc: the adaptive timestep's constant, delta = cc * own error / (own + remote error) (sec. 3.4). */
  cc: number
  /** Errors are capped here (Serf: VivaldiErrorMax). */
  maxError: number
  /** Smallest height, ms (Serf: HeightMin, 10 us). */
  minHeightMs: number
}

/** Serf's defaults (serf/coordinate/config.go): 8 dimensions, ce = cc = 0.25, error capped at 1.5. */
export const DEFAULT_VIVALDI: VivaldiConfig = Object.freeze({ dimensions: 8, ce: 0.25, cc: 0.25, maxError: 1.5, minHeightMs: 0.01 })

export interface VivaldiCoordinate {
  vec: number[]
  heightMs: number
  /** Relative error of this node's predictions, in [0, maxError]; starts at maxError (knows nothing). */
  error: number
}

export function newCoordinate (config: VivaldiConfig = DEFAULT_VIVALDI): VivaldiCoordinate {
  return { vec: new Array<number>(config.dimensions).fill(0), heightMs: config.minHeightMs, error: config.maxError }
}

function distance (a: number[], b: number[]): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2
  return Math.sqrt(sum)
}

/** Predicted RTT between two nodes, ms: the distance between their vectors plus both heights. */
export function estimateRtt (a: VivaldiCoordinate, b: VivaldiCoordinate): number {
  return distance(a.vec, b.vec) + a.heightMs + b.heightMs
}

const TINY = 1e-6

/** Move `own` after measuring `rttMs` to `remote`. `random` picks a direction when both sit on the same point
 *  (every node starts at the origin); pass a seeded one for reproducible runs. */
export function update (own: VivaldiCoordinate, remote: VivaldiCoordinate, rttMs: number, config: VivaldiConfig = DEFAULT_VIVALDI, random: () => number = Math.random): VivaldiCoordinate {
  if (!Number.isFinite(rttMs) || rttMs < 0) return own
  const rtt = Math.max(rttMs, TINY)
  const predicted = estimateRtt(own, remote)
  const wrongness = Math.abs(predicted - rtt) / rtt
  const weight = own.error / Math.max(own.error + remote.error, TINY)
  const error = Math.min(config.maxError, config.ce * weight * wrongness + own.error * (1 - config.ce * weight))
  const force = config.cc * weight * (rtt - predicted)
  // Unit vector from remote to own; if they coincide, a random direction (Serf: unitVectorAt).
  const diff = own.vec.map((x, i) => x - remote.vec[i])
  let mag = Math.sqrt(diff.reduce((s, x) => s + x * x, 0))
  let unit: number[]
  if (mag > TINY) {
    unit = diff.map(x => x / mag)
  } else {
    const dir = diff.map(() => random() - 0.5)
    const len = Math.sqrt(dir.reduce((s, x) => s + x * x, 0)) || 1
    unit = dir.map(x => x / len)
    mag = 0
  }
  const vec = own.vec.map((x, i) => x + unit[i] * force)
  // Heights move like the vector, in proportion to their share of the predicted distance (Serf: ApplyForce).
  const heightMs = mag > TINY ? Math.max(config.minHeightMs, own.heightMs + (own.heightMs + remote.heightMs) * force / mag) : own.heightMs
  return { vec, heightMs, error }
}
