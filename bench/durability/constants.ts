// Numbers the durability model depends on, each with where it comes from.

/** Hours in a Julian year (365.25 days, the IAU year used for "per year" rates). AFRs are quoted per calendar
 *  year; the 0.07 % difference to a 365-day year is far below the uncertainty of any published AFR. */
export const HOURS_PER_YEAR = 365.25 * 24

/** Two-sided 95 % normal quantile, Φ⁻¹(0.975), to double precision. */
export const Z_95 = 1.959963984540054

/** Largest n the models accept: Reed-Solomon over GF(2^8) has at most 256 shards (coder/constants.ts). */
export { MAX_TOTAL_SHARDS } from '../../coder/constants.ts'

/** Terms of the uniformised series per sub-interval. With Λh ≤ 1 the truncated tail, relative to the smallest
 *  entry that is not exactly zero, is below (n/k)^(m+1)/40! ≈ 1e-48 · (n/k)^(m+1) (see markov.ts); 45 extra
 *  terms beyond the number of states keeps that far under double precision for every n ≤ 256. */
export const UNIFORMISATION_EXTRA_TERMS = 45

/** Annual failure rate used in docs/DURABILITY.md: 5 % is a pessimistic figure for an always-on edge peer
 *  (Backblaze's published drive stats put disks alone at about 1–2 % AFR; whole-peer loss — disk, host,
 *  owner leaving — is higher). It is a parameter everywhere; this is only the default of bench/durability/table.ts. */
export const DEFAULT_AFR = 0.05

/** Repair times of the table: 1 h (peer noticed dead by the failure detector and shards rebuilt promptly) and
 *  24 h (repair waits for a daily pass or a slow uplink). */
export const DEFAULT_REPAIR_HOURS = [1, 24] as const
