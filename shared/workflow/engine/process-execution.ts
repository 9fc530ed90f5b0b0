import type { EntityManager } from '@mikro-orm/postgresql';
import { EXECUTION_STATUS } from '../constants.js';
import { StaleLeaseError } from './lease.js';
import { isTransient } from './transient.js';
import { ExecutionRunner } from './runner.js';
import type { WorkflowApp } from './workflow-app.js';

/**
 * One queue delivery of an execution: claim it (a conditional UPDATE), replay its committed jobs, run
 * the rest step by step under the lease (each step a transaction that starts with the fence check),
 * then finish it or park it (delay). A delivery for an execution someone else holds, or one that is
 * finished, does nothing; one for a parked execution that is not due yet is published again for then.
 */
export async function processExecution(wf: WorkflowApp, executionId: number, signal?: AbortSignal): Promise<void> {
  const em = wf.o.fork();
  const claim = await wf.leases.claim(em, executionId);
  if (!claim) {
    const due = await wf.leases.dueIn(em, executionId);
    if (due > 0) await wf.publish(executionId, due, `d${Date.now() + due}`);
    return;
  }
  const { execution, fence } = claim;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  wf.running.set(executionId, controller);
  const heartbeat = setInterval(() => {
    void wf.leases.renew(wf.o.fork(), executionId, fence).catch((err) => controller.abort(err));
  }, Math.max(50, Math.floor(wf.o.settings.leaseMs / 3)));
  const step = async <T>(fn: (tx: EntityManager, after: (f: () => Promise<void>) => void) => Promise<T>): Promise<T> => {
    const after: Array<() => Promise<void>> = [];
    const out = await wf.o.fork().transactional(async (tx) => {
      await wf.leases.guard(tx, executionId, fence);
      return fn(tx, (f) => after.push(f));
    });
    for (const f of after) await f().catch((err) => wf.o.log.warn(`after-commit work of execution ${executionId} failed: ${(err as Error).message}`));
    return out;
  };
  try {
    const runner = new ExecutionRunner({
      definition: await wf.definition(em, execution.workflowId),
      execution,
      // The first claim of an execution has no journal yet: skip the read.
      journal: fence === 1 ? [] : await wf.store.jobsOf(em, executionId),
      store: wf.store,
      data: wf.o.data,
      ...(wf.o.aesKey ? { aesKey: wf.o.aesKey } : {}),
    requestPolicy: wf.requestPolicy,
      signal: controller.signal,
      sync: false,
      step,
      park: (tx, at) => wf.leases.park(tx, executionId, at),
    });
    const end = await runner.run();
    if ('parkedUntil' in end) await wf.publish(executionId, end.parkedUntil - Date.now(), `d${end.parkedUntil}`);
    else await step((tx) => wf.leases.finish(tx, executionId, end.status));
  } catch (err) {
    if (err instanceof StaleLeaseError || controller.signal.aborted) {
      wf.o.log.info(`execution ${executionId} of app ${wf.o.app} stopped on this node: ${(err as Error).message}`);
      return;
    }
    if (isTransient(err)) {
      wf.o.log.warn(`execution ${executionId} of app ${wf.o.app} paused by a database failure (resumed after its lease): ${(err as Error).message}`);
      return;
    }
    wf.o.log.error(`execution ${executionId} of app ${wf.o.app} failed: ${(err as Error).message}`);
    await step((tx) => wf.leases.finish(tx, executionId, EXECUTION_STATUS.ERROR, { message: (err as Error).message })).catch(() => undefined);
  } finally {
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', onAbort);
    wf.running.delete(executionId);
  }
}
