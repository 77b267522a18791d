// The one lifecycle shape of the node's parts (after js-libp2p's Startable): start() begins background work (timers,
// listeners, protocol handlers), stop() ends it and resolves once nothing of it runs. EdgemirrorNode starts and stops
// them in order (docs/REPAIR.md, "Stopping").
export interface Startable {
  start (): void | Promise<void>
  stop (): Promise<void>
}
