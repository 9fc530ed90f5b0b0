import { EXECUTION_STATUS } from '../constants.js';
import { StaleLeaseError } from './lease.js';
import { BatchRolledBack, StepBatch } from './step-batch.js';
import { isTransient } from './transient.js';
import { ExecutionRunner } from './runner.js';
import type { EntityManager as Fork } from '@mikro-orm/postgresql';
import type { WorkflowStore } from '../store.js';
import type { Logger } from '../../errors/index.js';
import type { RequestPolicy } from '../request/index.js';
import type { ExecutionObserver, ExecutionOutcome, JobRow, RecordsPort } from '../types.js';
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

/** Consecutive database-only steps of an execution that share one transaction (at most). */
const STEPS_PER_BATCH = 32;

/**
 * One queue delivery of an execution: claim it (a conditional UPDATE, the first statement of the first
 * batch), replay its committed jobs, run the rest step by step under the lease, then finish it or park
 * it (delay). Consecutive steps share a transaction that starts with the claim or the fence check (StepBatch): it commits before work outside the
 * database (a request node), before parking, at the end, and every STEPS_PER_BATCH steps or a quarter
 * of the lease. A step failing after others of its batch rolls the batch back, and the execution runs
 * again from its journal one step per transaction (so the failure is recorded as that node's ERROR
 * job, as before). A delivery for an execution someone else holds, or one that is
 * finished, does nothing; one for a parked execution that is not due yet is published again for then.
 */
export async function processExecution(wf: ProcessDeps, executionId: number, signal?: AbortSignal): Promise<void> {
  const em = wf.fork();
  const batch = (maxSteps: number, fence?: number) =>
    new StepBatch({ executionId, ...(fence === undefined ? {} : { fence }), leases: wf.leases, store: wf.store, fork: wf.fork, maxSteps, maxAgeMs: Math.max(50, Math.floor(wf.leaseMs / 4)), log: wf.log });
  // The claim is the first statement of the first batch: it commits with the first steps.
  let holder = batch(STEPS_PER_BATCH);
  let claim = await holder.claim();
  if (!claim) {
    const due = await wf.leases.dueIn(em, executionId);
    if (due > 0) await wf.publish(executionId, due, `d${Date.now() + due}`);
    return;
  }
  const { execution } = claim;
  const run = { app: wf.app, workflowId: execution.workflowId };
  const line = `execution=${executionId} workflow=${execution.workflowId} app=${wf.app} node=${wf.nodeId}`;
  const startedAt = performance.now();
  let outcome: ExecutionOutcome = 'error';
  wf.log.info(`execution started ${line} attempt=${claim.fence}`);
  wf.observer?.started(run);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  wf.running.set(executionId, controller);
  const heartbeat = setInterval(() => {
    // Until the claim has committed there is no lease of ours in the table to extend.
    if (!holder.claimCommitted) return;
    void wf.leases.renew(wf.fork(), executionId, claim!.fence).catch((err) => controller.abort(err));
  }, Math.max(50, Math.floor(wf.leaseMs / 3)));
  /** Claims again in a transaction of its own (committed at once) when a rolled-back batch took the claim with it. */
  const reclaim = async (): Promise<boolean> => {
    if (holder.claimCommitted) return true;
    holder = batch(1);
    claim = await holder.claim();
    return claim !== null;
  };
  /** Runs the execution from its committed journal; false when a batch was rolled back (run again one step per transaction). */
  const runOnce = async (steps: StepBatch, journal: readonly JobRow[]): Promise<boolean> => {
    try {
      const runner = new ExecutionRunner({
        definition: await wf.definitions.definition(em, claim!.execution.workflowId),
        execution: claim!.execution,
        journal,
        store: wf.store,
        data: wf.data,
        ...(wf.aesKey ? { aesKey: wf.aesKey } : {}),
        requestPolicy: wf.requestPolicy,
        signal: controller.signal,
        sync: false,
        step: (fn) => steps.step(fn),
        jobs: steps.jobs,
        flush: () => steps.commit(),
        park: (tx, at) => wf.leases.park(tx, executionId, at),
      });
      const end = await runner.run();
      if ('parkedUntil' in end) {
        await steps.commit();
        await wf.publish(executionId, end.parkedUntil - Date.now(), `d${end.parkedUntil}`);
        outcome = 'parked';
      } else {
        await steps.step((tx) => wf.leases.finish(tx, executionId, end.status));
        await steps.commit();
        outcome = OUTCOME_OF_STATUS[end.status] ?? 'error';
      }
      return true;
    } catch (err) {
      await steps.rollback();
      if (err instanceof BatchRolledBack && !isTransient(err.cause)) return false;
      throw err instanceof BatchRolledBack ? err.cause : err;
    }
  };
  try {
    // The first claim of an execution has no journal yet: skip the read.
    const done = await runOnce(holder, claim.fence === 1 ? [] : await wf.store.jobsOf(em, executionId));
    if (!done) {
      wf.log.info(`execution ${executionId} of app ${wf.app}: a step failed inside a batch; running it again one step per transaction`);
      if (!(await reclaim())) {
        outcome = 'stopped';
        wf.log.info(`execution ${executionId} of app ${wf.app} is no longer claimable here after its batch was rolled back`);
        return;
      }
      await runOnce(batch(1, claim!.fence), await wf.store.jobsOf(em, executionId));
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
    const finishError = async () => {
      if (await reclaim()) await batch(1, claim!.fence).step((tx) => wf.leases.finish(tx, executionId, EXECUTION_STATUS.ERROR, { message: (err as Error).message }));
    };
    await finishError().catch(() => undefined);
  } finally {
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', onAbort);
    wf.running.delete(executionId);
    const seconds = (performance.now() - startedAt) / 1000;
    wf.log.info(`execution ended ${line} durationMs=${Math.round(seconds * 1000)} outcome=${outcome}`);
    wf.observer?.ended({ ...run, outcome, seconds });
  }
}
