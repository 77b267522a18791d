// The pure building blocks of self-repair (docs/REPAIR.md). The repair service that wires them to the network,
// the store and the clock is built on these.
export * from './constants.ts'
export { FailureDetector, phiOf, type FailureDetectorOptions, type PeerHealth, type PeerState, type StateChange } from './failure-detector.ts'
export { rankPeers, rankPositions, repairLeader, repairWeight, shouldRepair, takeoverOrder } from './leader.ts'
export {
  excessCopies, HolderMap, liveShards,
  type ExcessCopy, type HolderEntry, type HolderMapState, type ShardHolders
} from './holder-map.ts'
export { chooseRepairTime, type ForecastWindow, type RepairTime } from './carbon-deferral.ts'
export {
  RepairQueue,
  type AddResult, type CarbonOutlook, type JobState, type JobStatus, type RepairJob, type RepairQueueOptions, type RepairRequest
} from './repair-queue.ts'
export { RateLimiter, type RateLimiterOptions } from './rate-limiter.ts'
export { planRepair, type ExistingShard, type FileHealth, type RepairPlan, type RepairPlanInput, type ShardSource } from './repair-plan.ts'
