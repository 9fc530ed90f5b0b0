/** NocoBase's status codes (plugin-workflow constants), so clients and exported definitions agree. */
export const EXECUTION_STATUS = {
  QUEUEING: null,
  STARTED: 0,
  RESOLVED: 1,
  FAILED: -1,
  ERROR: -2,
  ABORTED: -3,
  CANCELED: -4,
  REJECTED: -5,
  RETRY_NEEDED: -6,
} as const;

export const JOB_STATUS = {
  PENDING: 0,
  RESOLVED: 1,
  FAILED: -1,
  ERROR: -2,
  ABORTED: -3,
  CANCELED: -4,
  REJECTED: -5,
  RETRY_NEEDED: -6,
} as const;

export const EXECUTION_REASON = { TIMEOUT: 'timeout', MANUAL_CANCEL: 'manual_cancel', PARENT_ABORTED: 'parent_aborted' } as const;

/** Collection trigger mode bitmap. */
export const COLLECTION_MODE = { CREATE: 1, UPDATE: 2, DESTROY: 4 } as const;

/** Condition node branches. */
export const BRANCH_INDEX = { DEFAULT: null, ON_TRUE: 1, ON_FALSE: 0 } as const;

/** The queue channel an app's executions are published on (one per app; the queue prefix adds the namespace). */
export function workflowChannel(app: string): string {
  return `workflow.${app}`;
}

/** Sync-signal channel telling every node that an app's workflow definitions changed. */
export const SYNC_CHANNEL = 'workflows';
/** Sync-signal channel telling the node running an execution to stop it. */
export const CANCEL_CHANNEL = 'workflow-cancel';

/** Workflow resources are administration: only root and admin (members and anonymous get nothing). */
export const WORKFLOW_RULES: Record<string, Record<string, string[]>> = Object.fromEntries(
  ['workflows', 'workflows.nodes', 'flow_nodes', 'executions', 'jobs'].map((r) => [r, { member: [], anonymous: [] }]),
);
