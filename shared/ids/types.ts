/**
 * Where a generator gets its worker ID. `shared/worker-id`'s WorkerIdAllocator satisfies it; the
 * generator asks on every ID, so a lease lost between two IDs stops the very next one.
 */
export interface WorkerIdSource {
  /** The leased worker ID (0–31), or null when none is held. */
  current(): number | null;
  /** True only while the lease is certainly still this node's (renewed in time, not lost or released). */
  healthy(): boolean;
}

export interface SnowflakeOptions {
  /** The lease that makes this node's worker ID unique in the cluster. */
  readonly workerIds: WorkerIdSource;
  /**
   * Largest backwards clock step (ms) the generator waits out before issuing again; a larger step
   * throws ClockMovedBackwardsError. The wait blocks the calling thread (default 1000; 0 = never wait).
   */
  readonly maxBackwardMs?: number;
  /** Wall clock in epoch milliseconds (default Date.now). Tests inject a skewed clock here. */
  readonly now?: () => number;
}

/** The fields of an ID, as decodeId returns them and encodeId takes them. */
export interface DecodedId {
  /** Epoch milliseconds at which the ID was issued (the issuing node's clock). */
  readonly timestamp: number;
  /** Worker ID (0–31) of the issuing node. */
  readonly workerId: number;
  /** Position within that node's millisecond (0–127). */
  readonly sequence: number;
}
