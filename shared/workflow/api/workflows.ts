import type { Caller } from '../../auth/index.js';
import type { WorkflowsApp } from './handler.js';
import { cbError } from '../../errors/index.js';
import type { WorkflowApp } from '../engine/workflow-app.js';
import { workflowRow } from '../rows.js';
import { randomKey } from '../store.js';
import { triggerCollection, validateCollectionConfig } from '../triggers/collection.js';
import { validateScheduleTrigger } from '../triggers/schedule.js';
import type { Em, ExecutionRow, WorkflowRow } from '../types.js';
import { EXECUTION_STATUS, JOB_STATUS } from '../constants.js';
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

/** The `key` a revision's `filter` names (`filter[key]=…`): a new version of that key; without it, a copy as a new workflow. */
function filterKey(filter: unknown): string | undefined {
  let f = filter;
  if (typeof f === 'string' && f !== '') {
    try {
      f = JSON.parse(f);
    } catch {
      throw cbError('CB_ERR_VALIDATION', 'filter must be JSON');
    }
  }
  const key = f && typeof f === 'object' ? (f as Record<string, unknown>).key : undefined;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/**
 * A copy of `source` and its nodes (node keys kept, so templates still resolve), as NocoBase's
 * repository.revision: with `key`, a new version of that key (title kept, `current` null unless given);
 * without, a new workflow (new key, title "<title> copy", current). An enabled or first version of its
 * key becomes current, and a current one retires the key's other versions (disabled, current null).
 */
async function revise(wf: WorkflowApp, tx: Em, source: WorkflowRow, key: string | undefined, v: Record<string, unknown>): Promise<WorkflowRow> {
  const enabled = v.enabled === true;
  let current: boolean | null = key === undefined ? true : typeof v.current === 'boolean' ? v.current : null;
  if (enabled) current = true;
  if (key !== undefined && current !== true) {
    const currentOne = (await listTable(tx, workflowsMeta(wf.store.schema), { filter: { key: { $eq: key }, current: { $eq: true } }, paginate: false }, workflowRow)).data;
    if (currentOne.length === 0) current = true;
  }
  const row = await wf.store.insertWorkflow(tx, {
    ...source,
    id: wf.store.nextId(),
    key: key ?? randomKey(),
    enabled,
    executed: 0,
    allExecuted: key === undefined ? 0 : source.allExecuted,
    current,
    title: (v.title as string | undefined) ?? (key === undefined ? `${source.title ?? ''} copy` : source.title),
    ...(typeof v.description === 'string' ? { description: v.description } : {}),
    createdById: null,
    updatedById: null,
  });
  if (row.current) await wf.store.retireOtherVersions(tx, row.key, row.id, { disable: true });
  const nodes = await wf.store.nodesOf(tx, source.id);
  const idOf = new Map(nodes.map((n) => [n.id, wf.store.nextId()]));
  const remap = (id: number | null) => (id === null ? null : (idOf.get(id) ?? null));
  for (const n of nodes) {
    await wf.store.insertNode(tx, { ...n, id: idOf.get(n.id)!, upstreamId: remap(n.upstreamId), downstreamId: remap(n.downstreamId), workflowId: row.id });
  }
  return row;
}

export async function reviseWorkflow({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const source = await requireWorkflow(wf, em, params.filterByTk);
  const { invalid: _invalid, ...v } = body(params);
  const created = await em.transactional((tx) => revise(wf, tx, source, filterKey(params.filter), v));
  if (created.enabled) await wf.changed();
  return { data: { ...created, categories: [] } };
}

/** Whether a manual run is done waiting for: finished, or paused on a pending job (a delay). */
async function settled(wf: WorkflowApp, em: Em, id: number): Promise<ExecutionRow | undefined> {
  const execution = await wf.store.execution(em, id);
  if (!execution) return undefined;
  if (execution.status !== EXECUTION_STATUS.QUEUEING && execution.status !== EXECUTION_STATUS.STARTED) return execution;
  if (execution.status === EXECUTION_STATUS.STARTED) {
    const jobs = await wf.store.jobsOf(em, id);
    if (jobs.at(-1)?.status === JOB_STATUS.PENDING) return execution;
  }
  return undefined;
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
  const autoRevision = Number(params.autoRevision) === 1 && workflow.executed === 0;
  const { execution, revision } = await em.transactional(async (tx) => ({
    execution: await wf.trigger(tx, workflow, context, { after: (f) => after.push(f), manually: true, rejectOnFailure: false }),
    // NocoBase's autoRevision=1: the first run of a version leaves a fresh editable version behind.
    revision: autoRevision ? await revise(wf, tx, workflow, workflow.key, { current: workflow.current, enabled: workflow.enabled }) : undefined,
  }));
  for (const f of after) await f();
  if (revision?.enabled) await wf.changed();
  // As NocoBase, the answer carries the finished execution's status when it ends (or pauses) within
  // a bounded wait (WORKFLOW_SYNC_TIMEOUT); past that, the status it has then.
  let status = execution.status;
  const deadline = Date.now() + wf.syncTimeoutMs;
  while (status === EXECUTION_STATUS.QUEUEING || status === EXECUTION_STATUS.STARTED) {
    const done = await settled(wf, em, execution.id);
    if (done) {
      status = done.status;
      break;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { data: { execution: { id: execution.id, status }, ...(revision ? { newVersionId: revision.id } : {}) } };
}
