import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { WriteEvent, WriteHook } from '../../data/index.js';
import { cbError } from '../../errors/index.js';
import { EXECUTION_STATUS } from '../constants.js';
import type { RequestPolicy } from '../request/index.js';
import type { WorkflowStore } from '../store.js';
import { contextsFor, firesOn, mayFireOn } from '../triggers/collection.js';
import type { ExecutionRow, RecordsPort, WorkflowRow } from '../types.js';
import type { WorkflowDefinitions } from './definitions.js';
import { runSync } from './run-sync.js';

export interface TriggersDeps {
  readonly store: WorkflowStore;
  readonly ids: { next(): number };
  readonly definitions: WorkflowDefinitions;
  readonly data: RecordsPort;
  readonly aesKey?: Buffer;
  /** Where request nodes of sync workflows may connect. */
  readonly requestPolicy: RequestPolicy;
  readonly syncTimeoutMs: number;
  /** Publishes a started async execution to the app's queue (after its transaction commits). */
  publish(executionId: number): Promise<void>;
}

export interface TriggerOptions {
  readonly after: (fn: () => Promise<void>) => void;
  readonly manually?: boolean;
  readonly eventKey?: string;
  readonly rejectOnFailure?: boolean;
}

/**
 * Starting executions: the write hook of the app's records (collection triggers, on every node that
 * writes them) and `trigger` (also used by manual execution).
 */
export class CollectionTriggers {
  constructor(private readonly deps: TriggersDeps) {}

  /**
   * The write hook the app's RecordRepository runs: collection triggers. `idle` lets a write of a
   * collection no enabled workflow fires on skip the transaction the hook would otherwise need: it
   * reads the same cache `onWrite` would, so the answer is the one `onWrite` would reach.
   */
  readonly hook: WriteHook = {
    onWrite: (tx, event) => this.onWrite(tx, event),
    idle: (collection, type, triggerWorkflows) => {
      if (!triggerWorkflows) return true;
      const enabled = this.deps.definitions.cachedEnabled();
      return enabled !== null && !enabled.some((w) => mayFireOn(w, collection, type));
    },
  };

  private async onWrite(tx: EntityManager, event: WriteEvent): Promise<void> {
    if (!event.triggerWorkflows) return;
    const workflows = (await this.deps.definitions.enabled(tx)).filter((w) => firesOn(w, event));
    for (const workflow of workflows) {
      for (const context of await contextsFor(tx, this.deps.store, workflow, event, this.deps.data, this.deps.aesKey)) {
        await this.trigger(tx, workflow, context, { after: (fn) => event.afterCommit(fn) });
      }
    }
  }

  /**
   * Starts an execution of `workflow` with `context` inside `tx`. Async: the QUEUEING row commits with
   * `tx`, its id is published after commit. Sync: it runs here, inside `tx`, bounded by the sync timeout,
   * and a result other than RESOLVED rejects (rolls back) the caller's write.
   */
  async trigger(tx: EntityManager, workflow: WorkflowRow, context: unknown, options: TriggerOptions): Promise<ExecutionRow> {
    const execution = await this.deps.store.insertExecution(tx, {
      id: this.deps.ids.next(),
      workflow,
      eventKey: options.eventKey ?? randomUUID(),
      context,
      ...(options.manually ? { manually: true } : {}),
    });
    if (workflow.sync) {
      const status = await runSync(this.deps, tx, execution, options.after);
      if (status !== EXECUTION_STATUS.RESOLVED && options.rejectOnFailure !== false) {
        throw cbError('CB_ERR_WORKFLOW_REJECTED', `Workflow "${workflow.title ?? workflow.key}" rejected the request (execution status ${status})`, { executionId: execution.id, status });
      }
      return { ...execution, status };
    }
    options.after(() => this.deps.publish(execution.id));
    return execution;
  }
}
