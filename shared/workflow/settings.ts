import { readEnv, type Env } from '../config/index.js';
import type { WorkflowSettings } from './types.js';

/**
 * The WORKFLOW_* variables (declared in shared/config). Read through shared/config's reader because
 * the node's frozen Config has no workflow section yet; `env` defaults to the process environment.
 */
export function workflowSettings(env: Env = process.env): WorkflowSettings {
  const v = readEnv(env);
  return {
    leaseMs: v.WORKFLOW_LEASE,
    sweepMs: v.WORKFLOW_SWEEP_INTERVAL,
    queueingGraceMs: v.WORKFLOW_QUEUEING_GRACE,
    scheduleTickMs: v.WORKFLOW_SCHEDULE_TICK,
    syncTimeoutMs: v.WORKFLOW_SYNC_TIMEOUT,
    concurrency: v.WORKFLOW_CONCURRENCY,
  };
}
