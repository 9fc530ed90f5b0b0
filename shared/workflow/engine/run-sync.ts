import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../../errors/index.js';
import { EXECUTION_STATUS } from '../constants.js';
import type { WorkflowStore } from '../store.js';
import type { RequestPolicy } from '../request/index.js';
import type { ExecutionRow, RecordsPort } from '../types.js';
import type { WorkflowDefinitions } from './definitions.js';
import { ExecutionRunner, type RunEnd } from './runner.js';

export interface SyncRunDeps {
  readonly store: WorkflowStore;
  readonly definitions: WorkflowDefinitions;
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  /** Where request nodes may connect. */
  readonly requestPolicy: RequestPolicy;
  readonly syncTimeoutMs: number;
}

/**
 * A sync (`sync: true`) execution, inside the triggering write's transaction `tx`: its jobs and effects
 * commit or roll back with the write, and after-commit work waits for the write's commit. Bounded by
 * WORKFLOW_SYNC_TIMEOUT (then CB_ERR_WORKFLOW_SYNC_TIMEOUT); an instruction error is
 * CB_ERR_WORKFLOW_REJECTED. Answers the execution's final status.
 */
export async function runSync(deps: SyncRunDeps, tx: EntityManager, execution: ExecutionRow, afterCommit: (fn: () => Promise<void>) => void): Promise<number> {
  await deps.store.markStarted(tx, execution.id);
  const definition = await deps.definitions.definition(tx, execution.workflowId);
  const controller = new AbortController();
  const runner = new ExecutionRunner({
    definition,
    execution,
    journal: [],
    store: deps.store,
    data: deps.data,
    ...(deps.aesKey ? { aesKey: deps.aesKey } : {}),
    requestPolicy: deps.requestPolicy,
    signal: controller.signal,
    sync: true,
    // Inside the caller's transaction: after-commit work waits for the caller's commit.
    step: (fn) => fn(tx, afterCommit),
    park: () => Promise.reject(new Error('a synchronous workflow cannot wait')),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error('sync timeout'));
      reject(cbError('CB_ERR_WORKFLOW_SYNC_TIMEOUT'));
    }, deps.syncTimeoutMs);
  });
  const running = runner.run().catch((err: unknown) => {
    if (controller.signal.aborted) throw err;
    throw cbError('CB_ERR_WORKFLOW_REJECTED', `Workflow execution ${execution.id} failed: ${(err as Error).message}`);
  });
  // After a timeout the run is abandoned (it stops at its next node; the write rolls back): its later
  // rejection must not surface as an unhandled one.
  running.catch(() => undefined);
  try {
    const end = (await Promise.race([running, timeout])) as RunEnd;
    const status = 'status' in end ? end.status : EXECUTION_STATUS.ERROR;
    await deps.store.setExecutionStatus(tx, execution.id, status);
    return status;
  } finally {
    clearTimeout(timer);
  }
}
