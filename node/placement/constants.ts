// Scales of the score terms. Each term is a peer's own fact divided by a fixed reference, not by the spread of the
// current candidates: a peer's score must not depend on who else is online, or one peer leaving could reorder all
// the others and move many shards (docs/PLACEMENT.md, "Churn").

/** Carbon term = intensity / this. Just above the dirtiest national grid in Ember's 2024 yearly data (Kosovo,
 *  959 gCO2/kWh, via co2.js average-intensities), so the term spans [0, 1] for real grids. */
export const CARBON_REFERENCE_G_PER_KWH = 1000

/** Latency term = RTT / this. Half the Earth's circumference (20,000 km) in fibre at ~200 km/ms (2/3 c) is 100 ms
 *  one way: 200 ms round trip is the farthest a direct path goes. */
export const RTT_REFERENCE_MS = 200

/** RTT assumed for a peer never pinged and without coordinates: as far as a peer can be (the reference). */
export const UNKNOWN_RTT_MS = RTT_REFERENCE_MS

/** RTT assumed for an unpinged peer in the readers' region: a region spans ~4,000 km (a continent), 2 x 4,000 km
 *  at 200 km/ms = 40 ms. */
export const UNKNOWN_RTT_SAME_REGION_MS = 40

/** Weight of the rendezvous term. Small, so it only decides between peers that are nearly as good (0.02 equals
 *  40 gCO2/kWh at carbon weight 0.5, or 13 ms at latency weight 0.3), but not negligible, so that files from one
 *  sharer spread over the near-equal peers instead of all landing on the single best one. */
export const HRW_WEIGHT = 0.02
