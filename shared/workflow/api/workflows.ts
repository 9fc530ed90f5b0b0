import type { Caller } from '../../auth/index.js';
import type { WorkflowsApp } from './handler.js';
import { cbError } from '../../errors/index.js';
import type { WorkflowApp } from '../engine/workflow-app.js';
import { workflowRow } from '../rows.js';
import { randomKey } from '../store.js';
import { triggerCollection, validateCollectionConfig } from '../triggers/collection.js';
import { validateScheduleTrigger } from '../triggers/schedule.js';
import type { Em, WorkflowRow } from '../types.js';
import { listTable } from '../store-list.js';
import { targetKeys } from '../../data-api/index.js';
import { workflowsMeta } from './metas.js';
import { appendsOf, shape } from './shape.js';

export interface Params {
  readonly [key: string]: unknown;
  readonly filterByTk?: unknown;
  readonly values?: unknown;
  readonly associatedIndex?: unknown;
  readonly filter?: unknown;
  readonly sort?: unknown;
  readonly page?: unknown;
  readonly pageSize?: unknown;
  readonly paginate?: unknown;
  readonly fields?: unknown;
  readonly except?: unknown;
  readonly appends?: unknown;
}

const TRIGGERS = new Set(['collection', 'schedule']);
const UPDATABLE = ['title', 'description', 'enabled', 'triggerTitle', 'config', 'options', 'sync'] as const;

function body(params: Params): Record<string, unknown> {
  const v = params.values;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function validateTrigger(wf: WorkflowApp, type: unknown, config: unknown): Record<string, unknown> {
  if (typeof type !== 'string' || !TRIGGERS.has(type)) throw cbError('CB_ERR_VALIDATION', `Trigger type "${String(type)}" is not registered`);
  const c = config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
  const problems = type === 'collection' ? validateCollectionConfig(c, wf.data) : validateScheduleTrigger(c);
  if (problems.length > 0) throw cbError('CB_ERR_VALIDATION', problems[0], { errors: problems });
  return c;
}

export async function requireWorkflow(wf: WorkflowApp, em: Em, id: unknown): Promise<WorkflowRow> {
  const row = await wf.store.workflow(em, id);
  if (!row) throw cbError('CB_ERR_WORKFLOW_NOT_FOUND');
  return row;
}

export async function listWorkflows({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const page = await listTable(em, workflowsMeta(wf.store.schema), params, workflowRow);
  const data = await wf.store.withCounts(em, page.data);
  return { data: data.map((w) => shape(w, params)), ...(page.meta ? { meta: page.meta } : {}) };
}

export async function getWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const found = await wf.store.workflow(em, params.filterByTk);
  if (!found) return { data: null };
  const [row] = await wf.store.withCounts(em, [found]);
  if (!row) return { data: null };
  const out: Record<string, unknown> = { ...shape(row, params) };
  const appends = appendsOf(params.appends);
  if (appends.has('nodes')) out.nodes = await wf.store.nodesOf(em, row.id);
  if (appends.has('stats')) out.stats = { key: row.key, executed: row.allExecuted };
  if (appends.has('versionStats')) out.versionStats = { id: row.id, executed: row.executed };
  return { data: out };
}

export async function createWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const v = body(params);
  const config = validateTrigger(wf, v.type, v.config);
  const row = await wf.store.insertWorkflow(em, {
    id: wf.store.nextId(),
    key: typeof v.key === 'string' && v.key !== '' ? v.key : randomKey(),
    title: (v.title as string | undefined) ?? null,
    enabled: v.enabled === true,
    description: (v.description as string | undefined) ?? null,
    type: String(v.type),
    triggerTitle: (v.triggerTitle as string | undefined) ?? null,
    config,
    invalid: false,
    executed: 0,
    allExecuted: 0,
    current: v.current !== false,
    sync: v.sync === true,
    options: (v.options as Record<string, unknown> | undefined) ?? { timeout: 0 },
    createdById: null,
    updatedById: null,
  });
  if (row.enabled) await wf.changed();
  return { data: row };
}

/** NocoBase answers an array. Config of an executed workflow is immutable (make a revision). */
export async function updateWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const current = await requireWorkflow(wf, em, params.filterByTk);
  const v = body(params);
  const values: Partial<WorkflowRow> = {};
  for (const k of UPDATABLE) if (v[k] !== undefined) (values as Record<string, unknown>)[k] = v[k];
  if (values.config !== undefined) {
    if (current.executed > 0 && JSON.stringify(values.config) !== JSON.stringify(current.config)) throw cbError('CB_ERR_WORKFLOW_EXECUTED');
    values.config = validateTrigger(wf, current.type, values.config);
  }
  const updated = await em.transactional(async (tx) => {
    if (values.enabled === true) {
      // One enabled version per key, and the enabled one is current (as NocoBase).
      await wf.store.retireOtherVersions(tx, current.key, current.id, { disable: true });
      values.current = true;
    }
    return wf.store.updateWorkflow(tx, current.id, values);
  });
  await wf.changed();
  return { data: updated ? [updated] : [] };
}

/**
 * `workflows:destroy` by `filterByTk` (one or several) and/or `filter`, as NocoBase: deleting a
 * current version deletes that key's other (non-current) revisions too (the UI deletes a workflow by
 * key). Answers the number deleted. Neither a key nor a filter is a 400 (it would delete everything).
 */
export async function destroyWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const keys = targetKeys(params.filterByTk);
  const filter = params.filter === '' ? undefined : params.filter;
  const parts = [...(keys ? [{ id: { $in: keys.map(Number) } }] : []), ...(filter !== undefined && filter !== null ? [typeof filter === 'string' ? JSON.parse(filter) : filter] : [])];
  if (parts.length === 0) throw cbError('CB_ERR_VALIDATION', 'filterByTk or a non-empty filter is required');
  const meta = workflowsMeta(wf.store.schema);
  const affected = await em.transactional(async (tx) => {
    const rows = (await listTable(tx, meta, { filter: parts.length === 1 ? parts[0] : { $and: parts }, paginate: false }, workflowRow)).data;
    const currentKeys = [...new Set(rows.filter((r) => r.current).map((r) => r.key))];
    const revisions = currentKeys.length > 0 ? (await listTable(tx, meta, { filter: { key: { $in: currentKeys }, current: { $ne: true } }, paginate: false }, workflowRow)).data : [];
    const ids = [...new Set([...rows, ...revisions].map((r) => r.id))];
    return wf.store.deleteWorkflows(tx, ids);
  });
  if (affected > 0) await wf.changed();
  return { data: affected };
}

/** A copy of the workflow and its nodes as a new version with the same key (node keys kept, so templates still resolve). */
export async function reviseWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const source = await requireWorkflow(wf, em, params.filterByTk);
  const v = body(params);
  const created = await em.transactional(async (tx) => {
    const row = await wf.store.insertWorkflow(tx, {
      ...source,
      id: wf.store.nextId(),
      enabled: false,
      executed: 0,
      allExecuted: source.allExecuted,
      current: v.current === true,
      title: (v.title as string | undefined) ?? source.title,
      createdById: null,
      updatedById: null,
    });
    if (row.current) await wf.store.retireOtherVersions(tx, row.key, row.id, { disable: false });
    const nodes = await wf.store.nodesOf(tx, source.id);
    const idOf = new Map(nodes.map((n) => [n.id, wf.store.nextId()]));
    const remap = (id: number | null) => (id === null ? null : (idOf.get(id) ?? null));
    for (const n of nodes) {
      await wf.store.insertNode(tx, { ...n, id: idOf.get(n.id)!, upstreamId: remap(n.upstreamId), downstreamId: remap(n.downstreamId), workflowId: row.id });
    }
    return row;
  });
  return { data: { ...created, categories: [] } };
}

/**
 * Runs a workflow by hand; the body is the trigger input. Collection: `{data: <pk or record>}` (an empty
 * body is a 400, unlike NocoBase, which silently picks the first row). Schedule: `{date}` = now.
 * Disabled workflows may be run (as NocoBase).
 */
export async function executeWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const workflow = await requireWorkflow(wf, em, params.filterByTk);
  const input = body(params);
  let context: Record<string, unknown>;
  if (workflow.type === 'collection') {
    if (input.data === undefined || input.data === null || input.data === '') throw cbError('CB_ERR_VALIDATION', 'the body must give the trigger input: {"data": <primary key or record>}');
    const name = triggerCollection(workflow.config);
    let record: unknown = input.data;
    if (typeof record !== 'object') {
      record = await wf.data.records.getByPk(em, name, record);
      if (!record) throw cbError('CB_ERR_VALIDATION', `no record of "${name}" with primary key ${JSON.stringify(input.data)}`);
    }
    context = { data: record };
  } else if (workflow.type === 'schedule') {
    context = { date: new Date().toISOString(), ...input };
  } else {
    context = input;
  }
  const after: Array<() => Promise<void>> = [];
  const execution = await em.transactional((tx) => wf.trigger(tx, workflow, context, { after: (f) => after.push(f), manually: true, rejectOnFailure: false }));
  for (const f of after) await f();
  return { data: { execution: { id: execution.id, status: execution.status } } };
}
