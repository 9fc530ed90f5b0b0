/**
 * The snowflake ID layout. Fixed: changing any constant here changes what every stored ID means.
 *
 *   bit 52                     12 11      7 6        0
 *   +----------------------------+---------+----------+
 *   |  time: 41 bits             | worker  | sequence |
 *   |  ms since ID_EPOCH_MS      | 5 bits  | 7 bits   |
 *   +----------------------------+---------+----------+
 *
 *   id = time * 2^12 + workerId * 2^7 + sequence          (53 bits: every ID ≤ 2^53 - 1)
 *
 * - 53 bits: IDs are safe JavaScript/JSON numbers (Number.MAX_SAFE_INTEGER = 2^53 - 1), no BigInt.
 * - 41 time bits of milliseconds: 2^41 ms = 69.68 years from ID_EPOCH_MS (2026-01-01T00:00:00Z),
 *   i.e. until 2095-09-07T15:47:35.551Z. 40 bits would give only 34.8 years, so 41 is the least that
 *   meets "≥ 60 years"; with 5 worker bits that leaves exactly 7 sequence bits.
 * - 5 worker bits: worker IDs 0–31, leased by shared/worker-id so no two live nodes share one.
 * - 7 sequence bits: 128 IDs per millisecond per node = 128,000 IDs/s; the 129th ID in a millisecond
 *   waits for the next millisecond.
 *
 * Because time is the most significant field, IDs compare (as numbers) in time order across nodes,
 * up to clock skew between nodes; within one generator they strictly increase.
 */
export const TIME_BITS = 41;
export const WORKER_ID_BITS = 5;
export const SEQUENCE_BITS = 7;

/** 2026-01-01T00:00:00.000Z. Time 0 of the layout; never change it. */
export const ID_EPOCH_MS = 1_767_225_600_000;

/** Largest worker ID (31). */
export const MAX_WORKER_ID = 2 ** WORKER_ID_BITS - 1;
/** Largest sequence within one millisecond (127). */
export const MAX_SEQUENCE = 2 ** SEQUENCE_BITS - 1;
/** Largest time field: milliseconds since ID_EPOCH_MS. */
export const MAX_TIME = 2 ** TIME_BITS - 1;
/** Last millisecond (epoch ms) the layout can represent: 2095-09-07T15:47:35.551Z. */
export const LAST_TIMESTAMP_MS = ID_EPOCH_MS + MAX_TIME;
/** Largest ID the layout can produce: 2^53 - 1. */
export const MAX_ID = 2 ** (TIME_BITS + WORKER_ID_BITS + SEQUENCE_BITS) - 1;

/** Multiplier of the time field (2^12). Multiplication, not `<<`: JavaScript shifts are 32-bit. */
export const TIME_UNIT = 2 ** (WORKER_ID_BITS + SEQUENCE_BITS);
/** Multiplier of the worker field (2^7). */
export const WORKER_UNIT = 2 ** SEQUENCE_BITS;
