// TEMPORARY shim (owner: integration). Replaced by the carbon module's real exports.
export interface CarbonReading { gco2PerKwh: number, source: string, at: number, stale: boolean, note?: string }
export interface CarbonProvider { start (): Promise<void>, stop (): Promise<void>, current (): CarbonReading, forecast (): Array<{ at: number, durationMs: number, gco2PerKwh: number }> }
export function createCarbonProvider (options: { carbon?: number, country?: string, file?: string, url?: string }): CarbonProvider {
  const reading = { gco2PerKwh: options.carbon ?? 0, source: 'static', at: Date.now(), stale: false }
  return { start: async () => {}, stop: async () => {}, current: () => reading, forecast: () => [] }
}
