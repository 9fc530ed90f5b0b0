import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../../errors/index.js';
import type { SyncSignal } from '../../sync/index.js';
import { SYNC_CHANNEL } from '../constants.js';
import type { WorkflowStore } from '../store.js';
import type { Em, FlowDefinition, WorkflowRow } from '../types.js';

export interface DefinitionsDeps {
  readonly store: WorkflowStore;
  /** The app's view of the sync signal: `workflows` tells every node that definitions changed. */
  readonly sync: SyncSignal;
  readonly fork: () => EntityManager;
}

/**
 * One app's workflow definitions as this node sees them: enabled workflows cached until a `workflows`
 * signal (every change of a workflow or node publishes one), definitions of workflows that have run
 * cached by id (they are immutable).
 */
export class WorkflowDefinitions {
  private enabledCache: Promise<WorkflowRow[]> | null = null;
  /** The same rows as `enabledCache`, readable synchronously (null when not cached). */
  private enabledRows: WorkflowRow[] | null = null;
  /** Bumped by every invalidation, so a load that began before it is not cached. */
  private generation = 0;
  private readonly byId = new Map<number, FlowDefinition>();

  constructor(private readonly deps: DefinitionsDeps) {}

  /** Follows the other nodes' changes; returns the unsubscribers. */
  async follow(): Promise<Array<() => Promise<void> | void>> {
    return [await this.deps.sync.subscribe(SYNC_CHANNEL, () => this.forget()), this.deps.sync.onResync(() => this.forget())];
  }

  forget(): void {
    this.generation += 1;
    this.enabledCache = null;
    this.enabledRows = null;
  }

  /** Definitions changed here: drop the local cache and tell every other node. */
  async changed(): Promise<void> {
    this.forget();
    await this.deps.sync.publish(SYNC_CHANNEL, { at: Date.now() });
  }

  /**
   * Enabled workflows, cached until a `workflows` signal. A write's hook passes its own transaction:
   * loading through another pooled connection while holding one could exhaust the pool under load.
   */
  async enabled(em?: EntityManager): Promise<WorkflowRow[]> {
    if (this.enabledCache) return this.enabledCache;
    const loading = this.deps.store.enabled(em ?? this.deps.fork());
    const generation = ++this.generation;
    const rows = await loading;
    if (generation === this.generation && !this.enabledCache) {
      this.enabledCache = Promise.resolve(rows);
      this.enabledRows = rows;
    }
    return rows;
  }

  /** The cached enabled workflows without waiting, or null when they are not cached (then call `enabled`). */
  cachedEnabled(): readonly WorkflowRow[] | null {
    return this.enabledRows;
  }

  async definition(em: Em, workflowId: number): Promise<FlowDefinition> {
    const cached = this.byId.get(workflowId);
    if (cached) return cached;
    const def = await this.deps.store.definition(em, workflowId);
    if (!def) throw cbError('CB_ERR_WORKFLOW_NOT_FOUND');
    if (def.workflow.executed > 0) this.byId.set(workflowId, def);
    return def;
  }
}
