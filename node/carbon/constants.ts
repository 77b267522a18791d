// Carbon defaults. Each number says where it comes from.

/** Intensities outside 0..5000 gCO2/kWh are rejected as corrupt. The dirtiest yearly average in the embedded Ember
 *  data is 1306.3 (TM); 5000 leaves room for hourly peaks and marginal-emission feeds while catching unit mix-ups
 *  (g/MWh, lb/MWh). */
export const MAX_GCO2_PER_KWH = 5000

/** Largest series document read from a file or URL. A year of hourly entries in the Carbon Aware SDK shape is
 *  ~900 KiB; 4 MiB allows 5-minute data for over a month while bounding what a hostile server can make us hold. */
export const MAX_SERIES_BYTES = 4 * 1024 * 1024

/** Entries without a duration last until the next entry, the last one this long: Electricity Maps' history and
 *  forecast endpoints are hourly by default, and hourly is the usual granularity of grid data. */
export const DEFAULT_ENTRY_DURATION_MS = 60 * 60_000

/** Longest duration accepted for one entry (a week): grid series come in 5-minute to hourly steps, so anything
 *  longer is a unit mistake (e.g. seconds given where minutes are expected). */
export const MAX_ENTRY_DURATION_MS = 7 * 24 * 60 * 60_000

/** Poll interval for --carbon-url and --carbon-file. Grid data is published hourly (5–15 min in some zones), so a
 *  new hour's figure is picked up within a quarter of its validity at 96 requests a day, gentle on rate-limited APIs. */
export const CARBON_POLL_INTERVAL_MS = 15 * 60_000

/** A request that has not answered in this long is abandoned and counts as a failure. */
export const CARBON_FETCH_TIMEOUT_MS = 10_000

/** After a failed poll, retry after base·2^(failures-1) (capped), with "equal jitter": half of that fixed, half random
 *  (M. Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015): many nodes behind one URL that failed
 *  together do not retry together. The first retry comes quickly (a blip), the cap keeps a dead URL probed hourly. */
export const CARBON_BACKOFF_BASE_MS = 30_000
export const CARBON_BACKOFF_MAX_MS = 60 * 60_000

/** How long after its interval has ended the last good series figure is still served (marked stale) before falling
 *  back to a yearly average: hourly intensity changes slowly enough that a 2 h old figure is a better guess than a
 *  yearly mean, much older and the daily cycle (solar, demand) makes it worse. */
export const CARBON_MAX_STALE_MS = 2 * 60 * 60_000
