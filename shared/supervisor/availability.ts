import type { EnvironmentInfo } from './types.js';

/**
 * An environment is available while its last heartbeat is younger than one interval plus the grace
 * period: a heartbeat that comes late (or one that is lost) does not flip it.
 */
export function isAvailable(env: EnvironmentInfo, graceMs: number, now: number = Date.now()): boolean {
  return now - env.lastHeartbeat <= env.heartbeatMs + graceMs;
}
