// Placement: which peer holds which shard of a file (docs/PLACEMENT.md). Pure functions over plain data.
export type { ExistingShard, ExplainedPlacement, Placement, PlacementConstraints, PlacementPeer, PlacementRequest, ScoreTerms, ShardReason } from './types.ts'
export { DEFAULT_WEIGHTS, formatWeights, normalizeWeights, parseWeights, type Weights } from './weights.ts'
export { placeShards } from './place-shards.ts'
export { UNDECLARED_ZONE, zoneLabel } from './domains.ts'
export { gco2PerMonth, gco2PerTbMonth, STORAGE_KWH_PER_TB_MONTH } from './storage-energy.ts'
export { estimateRtt, newCoordinate, update as updateCoordinate, DEFAULT_VIVALDI, type VivaldiConfig, type VivaldiCoordinate } from './vivaldi.ts'
