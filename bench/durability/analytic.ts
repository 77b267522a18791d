// The analytic durability models in one import: the static piece-survival tails (binomial, and the Storj
// whitepaper's Poisson approximation with its self-check), the Markov model with repair, and the comparison of
// schemes. Each lives in its own file; this module only gathers them for bench scripts and tests.
export { pieceSurvival, poissonPieceSurvival, type PieceSurvival } from './pieces.ts'
export { selfCheck, STORJ_EXAMPLE, STORJ_V3_TABLES, STORJ_ROW_TOLERANCE, type StorjSelfCheck, type StorjCheckRow } from './storj.ts'
export {
  lossProbability, mttdlYears, markovDurability, failureRatePerYear, repairRatePerYear, DEFAULT_REPAIR_MODE,
  type FileModel, type RepairMode, type MarkovDurability
} from './markov.ts'
export {
  compareAtEqualOverhead, schemesWithOverhead, replication, reedSolomon, DEFAULT_SCHEMES,
  type Scheme, type CompareOptions, type SchemeDurability
} from './compare.ts'
