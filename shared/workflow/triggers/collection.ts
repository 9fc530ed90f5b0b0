import type { EntityManager } from '@mikro-orm/postgresql';
import { loadAppends } from '../../data-api/index.js';
import { type CollectionMeta, type RecordValues, type WriteEvent } from '../../data/index.js';
import { compileFilter } from '../../query/index.js';
import { COLLECTION_MODE } from '../constants.js';
import type { WorkflowStore } from '../store.js';
import type { RecordsPort, WorkflowRow } from '../types.js';

const MODE_OF = { create: COLLECTION_MODE.CREATE, update: COLLECTION_MODE.UPDATE, destroy: COLLECTION_MODE.DESTROY } as const;

/** `"products"` or `"main:products"`. */
export function triggerCollection(config: Record<string, unknown>): string {
  const raw = String(config.collection ?? '');
  return raw.includes(':') ? raw.slice(raw.indexOf(':') + 1) : raw;
}

/** NocoBase's Joi rules of the collection trigger, with its messages (a list; empty = valid). */
export function validateCollectionConfig(config: Record<string, unknown>, data: RecordsPort): string[] {
  const problems: string[] = [];
  if (config.collection === undefined || config.collection === '') problems.push('"collection" is required');
  else if (!data.collections.get(triggerCollection(config))) problems.push(`Collection "${triggerCollection(config)}" does not exist in data source "main"`);
  if (config.mode !== undefined && ![1, 2, 4, 3].includes(config.mode as number)) problems.push('"mode" must be one of [1, 2, 4, 3]');
  if (config.changed !== undefined && config.changed !== null && !Array.isArray(config.changed)) problems.push('"changed" must be an array');
  if (config.appends !== undefined && config.appends !== null && !Array.isArray(config.appends)) problems.push('"appends" must be an array');
  return problems;
}

/**
 * Does `workflow` fire for this write (collection, mode, and for updates the `changed` fields: at
 * least one of them must be among the fields the write set; an empty list means any update)?
 */
export function firesOn(workflow: WorkflowRow, event: WriteEvent): boolean {
  if (!mayFireOn(workflow, event.collection.name, event.type)) return false;
  const changed = workflow.config.changed;
  if (event.type === 'update' && Array.isArray(changed) && changed.length > 0) return changed.some((field) => event.changed.includes(String(field)));
  return true;
}

/** Whether the workflow can fire on writes of this type to this collection (before `changed` and `condition`). */
export function mayFireOn(workflow: WorkflowRow, collection: string, type: WriteEvent['type']): boolean {
  return workflow.type === 'collection' && triggerCollection(workflow.config) === collection && (Number(workflow.config.mode ?? 0) & MODE_OF[type]) !== 0;
}

/**
 * The records of a write the workflow fires for, with its appends, as trigger contexts. `condition`
 * (a filter) is checked in the database inside the write's transaction, so it sees the new row and
 * may use relation paths.
 */
export async function contextsFor(tx: EntityManager, store: WorkflowStore, workflow: WorkflowRow, event: WriteEvent, data: RecordsPort, aesKey?: Buffer): Promise<Array<{ data: RecordValues }>> {
  const meta: CollectionMeta = event.collection;
  let records = [...event.records];
  const condition = workflow.config.condition;
  if (event.type !== 'destroy' && condition && typeof condition === 'object' && Object.keys(condition).length > 0) {
    const where = compileFilter(condition, meta, (n) => data.collections.get(n));
    if (where.sql.trim().toUpperCase() !== 'TRUE') {
      const keys = records.map((r) => r[meta.primaryKey]);
      const matched = new Set((await store.keysMatching(tx, meta, keys, where)).map(String));
      records = records.filter((r) => matched.has(String(r[meta.primaryKey])));
    }
  }
  const appends = workflow.config.appends;
  if (event.type !== 'destroy' && Array.isArray(appends) && appends.length > 0 && records.length > 0) {
    records = records.map((r) => ({ ...r }));
    await loadAppends(tx, meta, (n) => data.collections.get(n), records, appends, aesKey);
  }
  return records.map((record) => ({ data: record }));
}
