export type { DecodedId, SnowflakeOptions, WorkerIdSource } from './types.js';
export {
  ID_EPOCH_MS,
  LAST_TIMESTAMP_MS,
  MAX_ID,
  MAX_SEQUENCE,
  MAX_TIME,
  MAX_WORKER_ID,
  SEQUENCE_BITS,
  TIME_BITS,
  WORKER_ID_BITS,
} from './layout.js';
export { SnowflakeGenerator, createSnowflake } from './snowflake.js';
export { decodeId, encodeId } from './decode-id.js';
export { ClockMovedBackwardsError, ClockOutOfRangeError, NoWorkerIdError } from './errors.js';
