// The energy it takes to keep bytes stored, and so the carbon cost of keeping a shard on a given grid.
//
// Figure: a 3.5" enterprise HDD, Seagate Exos X18 18 TB (data sheet DS2045, "Average idle power 5.3 W"; idle, not
// operating, because a mirror's disks mostly hold bytes rather than move them). 5.3 W / 18 TB = 0.294 W/TB, and a
// month is 730 h (8,760 h / 12), so 0.294 W/TB x 730 h = 0.215 kWh per TB-month. This counts the drive only: no
// host, no cooling (edge peers are homes and offices, not data halls with a PUE), no embodied carbon. An SSD idles
// lower per TB but costs more to make; a peer with another medium reports its own figure (kwhPerTbMonth).
// The figure scales every gCO2 number but not the ranking: with one figure for all peers, only the grid differs.

/** Drive idle power, W, and capacity, TB (Seagate Exos X18 data sheet). */
export const HDD_IDLE_WATTS = 5.3
export const HDD_CAPACITY_TB = 18
export const HOURS_PER_MONTH = 730

/** kWh to keep one TB (10^12 bytes) stored for a month. */
export const STORAGE_KWH_PER_TB_MONTH = HDD_IDLE_WATTS / HDD_CAPACITY_TB * HOURS_PER_MONTH / 1000

const BYTES_PER_TB = 1e12

/** gCO2 per TB-month of keeping bytes on a peer whose grid emits `gco2PerKwh`. */
export function gco2PerTbMonth (gco2PerKwh: number, kwhPerTbMonth = STORAGE_KWH_PER_TB_MONTH): number {
  return gco2PerKwh * kwhPerTbMonth
}

/** gCO2 per month of keeping `bytes` on that peer. */
export function gco2PerMonth (bytes: number, gco2PerKwh: number, kwhPerTbMonth = STORAGE_KWH_PER_TB_MONTH): number {
  return bytes / BYTES_PER_TB * gco2PerTbMonth(gco2PerKwh, kwhPerTbMonth)
}
