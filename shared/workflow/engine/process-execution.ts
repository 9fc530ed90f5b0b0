import type { EntityManager } from '@mikro-orm/postgresql';
import { EXECUTION_STATUS } from '../constants.js';
import { StaleLeaseError } from './lease.js';
import { isTransient } from './transient.js';
import { ExecutionRunner } from './runner.js';
import type { EntityManager as Fork } from '@mikro-orm/postgresql';
import type { WorkflowStore } from '../store.js';
import type { Logger } from '../../errors/index.js';
import type { RequestPolicy } from '../request/index.js';
import type { ExecutionObserver, ExecutionOutcome, RecordsPort } from '../types.js';
import type { WorkflowDefinitions } from './definitions.js';
import type { Leases } from './lease.js';

/** What running one delivered execution needs. */
export interface ProcessDeps {
  readonly app: string;
  readonly store: WorkflowStore;
  readonly leases: Leases;
  readonly definitions: WorkflowDefinitions;
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  /** Where request nodes may connect. */
  readonly requestPolicy: RequestPolicy;
  readonly leaseMs: number;
  readonly fork: () => Fork;
  /** Executions running here, to abort on cancel. */
  readonly running: Map<number, AbortController>;
  publish(executionId: number, delayMs?: number, tag?: string): Promise<void>;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** This node's id, named in the start and end log lines. */
  readonly nodeId: string;
  readonly observer?: ExecutionObserver;
}

const OUTCOME_OF_STATUS: Record<number, ExecutionOutcome> = {
  [EXECUTION_STATUS.RESOLVED]: 'resolved',
  [EXECUTION_STATUS.FAILED]: 'failed',
  [EXECUTION_STATUS.ERROR]: 'error',
  [EXECUTION_STATUS.ABORTED]: 'aborted',
  [EXECUTION_STATUS.CANCELED]: 'canceled',
  [EXECUTION_STATUS.REJECTED]: 'rejected',
  [EXECUTION_STATUS.RETRY_NEEDED]: 'retry_needed',
};

/**
 * One queue delivery of an execution: claim it (a conditional UPDATE), replay its committed jobs, run
 * the rest step by step under the lease (each step a transaction that starts with the fence check),
 * then finish it or park it (delay). A delivery for an execution someone else holds, or one that is
 * finished, does nothing; one for a parked execution that is not due yet is published again for then.
 */
export async function processExecution(wf: ProcessDeps, executionId: number, signal?: AbortSignal): Promise<void> {
  const em = wf.fork();
  const claim = await wf.leases.claim(em, executionId);
  if (!claim) {
    const due = await wf.leases.dueIn(em, executionId);
    if (due > 0) await wf.publish(executionId, due, `d${Date.now() + due}`);
    return;
  }
  const { execution, fence } = claim;
  const run = { app: wf.app, workflowId: execution.workflowId };
  const line = `execution=${executionId} workflow=${execution.workflowId} app=${wf.app} node=${wf.nodeId}`;
  const startedAt = performance.now();
  let outcome: ExecutionOutcome = 'error';
  wf.log.info(`execution started ${line} attempt=${fence}`);
  wf.observer?.started(run);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  wf.running.set(executionId, controller);
  const heartbeat = setInterval(() => {
    void wf.leases.renew(wf.fork(), executionId, fence).catch((err) => controller.abort(err));
  }, Math.max(50, Math.floor(wf.leaseMs / 3)));
  const step = async <T>(fn: (tx: EntityManager, after: (f: () => Promise<void>) => void) => Promise<T>): Promise<T> => {
    const after: Array<() => Promise<void>> = [];
    const out = await wf.fork().transactional(async (tx) => {
      await wf.leases.guard(tx, executionId, fence);
      return fn(tx, (f) => after.push(f));
    });
    for (const f of after) await f().catch((err) => wf.log.warn(`after-commit work of execution ${executionId} failed: ${(err as Error).message}`));
    return out;
  };
  try {
    const runner = new ExecutionRunner({
      definition: await wf.definitions.definition(em, execution.workflowId),
      execution,
      // The first claim of an execution has no journal yet: skip the read.
      journal: fence === 1 ? [] : await wf.store.jobsOf(em, executionId),
      store: wf.store,
      data: wf.data,
      ...(wf.aesKey ? { aesKey: wf.aesKey } : {}),
      requestPolicy: wf.requestPolicy,
      signal: controller.signal,
      sync: false,
      step,
      park: (tx, at) => wf.leases.park(tx, executionId, at),
    });
    const end = await runner.run();
    if ('parkedUntil' in end) {
      await wf.publish(executionId, end.parkedUntil - Date.now(), `d${end.parkedUntil}`);
      outcome = 'parked';
    } else {
      await step((tx) => wf.leases.finish(tx, executionId, end.status));
      outcome = OUTCOME_OF_STATUS[end.status] ?? 'error';
    }
  } catch (err) {
    if (err instanceof StaleLeaseError || controller.signal.aborted) {
      outcome = 'stopped';
      wf.log.info(`execution ${executionId} of app ${wf.app} stopped on this node: ${(err as Error).message}`);
      return;
    }
    if (isTransient(err)) {
      outcome = 'paused';
      wf.log.warn(`execution ${executionId} of app ${wf.app} paused by a database failure (resumed after its lease): ${(err as Error).message}`);
      return;
    }
    wf.log.error(`execution ${executionId} of app ${wf.app} failed: ${(err as Error).message}`);
    await step((tx) => wf.leases.finish(tx, executionId, EXECUTION_STATUS.ERROR, { message: (err as Error).message })).catch(() => undefined);
  } finally {
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', onAbort);
    wf.running.delete(executionId);
    const seconds = (performance.now() - startedAt) / 1000;
    wf.log.info(`execution ended ${line} durationMs=${Math.round(seconds * 1000)} outcome=${outcome}`);
    wf.observer?.ended({ ...run, outcome, seconds });
  }
}
