import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../../errors/index.js';
import { EXECUTION_STATUS } from '../constants.js';
import type { ExecutionRow } from '../types.js';
import { ExecutionRunner, type RunEnd } from './runner.js';
import type { WorkflowApp } from './workflow-app.js';

/**
 * A sync (`sync: true`) execution, inside the triggering write's transaction `tx`: its jobs and effects
 * commit or roll back with the write, and after-commit work waits for the write's commit. Bounded by
 * WORKFLOW_SYNC_TIMEOUT (then CB_ERR_WORKFLOW_SYNC_TIMEOUT); an instruction error is
 * CB_ERR_WORKFLOW_REJECTED. Answers the execution's final status.
 */
export async function runSync(wf: WorkflowApp, tx: EntityManager, execution: ExecutionRow, afterCommit: (fn: () => Promise<void>) => void): Promise<number> {
  await wf.store.markStarted(tx, execution.id);
  const definition = await wf.definition(tx, execution.workflowId);
  const controller = new AbortController();
  const runner = new ExecutionRunner({
    definition,
    execution,
    journal: [],
    store: wf.store,
    data: wf.o.data,
    ...(wf.o.aesKey ? { aesKey: wf.o.aesKey } : {}),
    requestPolicy: wf.requestPolicy,
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
    }, wf.o.settings.syncTimeoutMs);
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
    await wf.store.setExecutionStatus(tx, execution.id, status);
    return status;
  } finally {
    clearTimeout(timer);
  }
}
