import type { Caller } from '../../auth/index.js';
import type { WorkflowsApp } from './handler.js';
import { cbError } from '../../errors/index.js';
import type { WorkflowApp } from '../engine/workflow-app.js';
import { instructionOf } from '../instructions/registry.js';
import { randomKey } from '../store.js';
import type { Em, NodeRow } from '../types.js';
import { requireWorkflow, type Params } from './workflows.js';

function body(params: Params): Record<string, unknown> {
  const v = params.values;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function checkConfig(type: string, config: unknown): Record<string, unknown> {
  const instruction = instructionOf(type);
  if (!instruction) throw cbError('CB_ERR_VALIDATION', `Node type "${type}" is not registered`);
  const c = config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
  const problem = instruction.validate?.(c);
  if (problem) throw cbError('CB_ERR_VALIDATION', problem);
  return c;
}

const num = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : Number(v));

/**
 * Links `node` (already inserted) into its workflow's chain at (upstreamId, branchIndex): it takes the
 * place of whatever followed there, which becomes its downstream (as NocoBase's nodes:create does).
 */
async function link(wf: WorkflowApp, tx: Em, node: NodeRow): Promise<void> {
  const nodes = await wf.store.nodesOf(tx, node.workflowId);
  const upstream = node.upstreamId !== null ? nodes.find((n) => n.id === node.upstreamId) : undefined;
  if (node.upstreamId !== null && !upstream) throw cbError('CB_ERR_VALIDATION', `upstream node ${node.upstreamId} is not in this workflow`);
  let downstream: NodeRow | undefined;
  if (upstream && node.branchIndex === null) downstream = upstream.downstreamId !== null ? nodes.find((n) => n.id === upstream.downstreamId) : undefined;
  else downstream = nodes.find((n) => n.id !== node.id && n.upstreamId === node.upstreamId && n.branchIndex === node.branchIndex);
  if (downstream) {
    await wf.store.updateNode(tx, downstream.id, { upstreamId: node.id, branchIndex: null });
    await wf.store.updateNode(tx, node.id, { downstreamId: downstream.id });
  }
  if (upstream && node.branchIndex === null) await wf.store.updateNode(tx, upstream.id, { downstreamId: node.id });
}

/** Takes `node` out of its chain: its downstream takes its place. */
async function unlink(wf: WorkflowApp, tx: Em, node: NodeRow): Promise<void> {
  if (node.downstreamId !== null) await wf.store.updateNode(tx, node.downstreamId, { upstreamId: node.upstreamId, branchIndex: node.branchIndex });
  if (node.upstreamId !== null && node.branchIndex === null) await wf.store.updateNode(tx, node.upstreamId, { downstreamId: node.downstreamId });
}

async function notExecuted(wf: WorkflowApp, em: Em, workflowId: number, message: string): Promise<void> {
  const workflow = await requireWorkflow(wf, em, workflowId);
  if (workflow.executed > 0) throw cbError('CB_ERR_VALIDATION', message);
}

/** `POST /api/workflows/<id>/nodes:create`: only the new node is answered. */
export async function createNode({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const v = body(params);
  await notExecuted(wf, em, Number(params.associatedIndex), 'Node could not be created in executed workflow');
  const type = String(v.type ?? '');
  const config = checkConfig(type, v.config);
  const created = await em.transactional(async (tx) => {
    const node = await wf.store.insertNode(tx, {
      id: wf.store.nextId(),
      key: typeof v.key === 'string' && v.key !== '' ? v.key : randomKey(),
      title: (v.title as string | undefined) ?? null,
      upstreamId: num(v.upstreamId),
      branchIndex: num(v.branchIndex),
      downstreamId: null,
      type,
      config,
      workflowId: Number(params.associatedIndex),
    });
    await link(wf, tx, node);
    return node;
  });
  await wf.changed();
  return { data: created };
}

async function requireNode(wf: WorkflowApp, em: Em, id: unknown): Promise<NodeRow> {
  const node = await wf.store.node(em, id);
  if (!node) throw cbError('CB_ERR_HTTP_NOT_FOUND', 'node not found');
  return node;
}

export async function updateNode({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const node = await requireNode(wf, em, params.filterByTk);
  const v = body(params);
  const values: Partial<NodeRow> = {};
  if (v.title !== undefined) values.title = v.title as string;
  if (v.config !== undefined) {
    await notExecuted(wf, em, node.workflowId, 'Nodes in executed workflow could not be reconfigured');
    values.config = checkConfig(node.type, v.config);
  }
  const updated = await wf.store.updateNode(em, node.id, values);
  await wf.changed();
  return { data: updated ? [updated] : [] };
}

/** Removes the node and every branch hanging from it; its downstream takes its place. */
export async function destroyNode({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const node = await requireNode(wf, em, params.filterByTk);
  await notExecuted(wf, em, node.workflowId, 'Nodes in executed workflow could not be destroyed');
  await em.transactional(async (tx) => {
    const nodes = await wf.store.nodesOf(tx, node.workflowId);
    const doomed = new Set<number>();
    const walk = (id: number) => {
      for (const n of nodes) {
        if (doomed.has(n.id)) continue;
        if (n.upstreamId === id && n.branchIndex !== null) {
          for (let c: NodeRow | undefined = n; c && !doomed.has(c.id); c = nodes.find((x) => x.id === c!.downstreamId)) {
            doomed.add(c.id);
            walk(c.id);
          }
        }
      }
    };
    walk(node.id);
    await unlink(wf, tx, node);
    for (const id of [...doomed, node.id]) await wf.store.deleteNode(tx, id);
  });
  await wf.changed();
  return { data: node };
}

/** `flow_nodes:move`: `{upstreamId, branchIndex}` in the body: the node leaves its place and is linked in at the new one. */
export async function moveNode({ workflows: wf }: WorkflowsApp, _caller: Caller, em: Em, params: Params) {
  const node = await requireNode(wf, em, params.filterByTk);
  await notExecuted(wf, em, node.workflowId, 'Nodes in executed workflow could not be moved');
  const v = body(params);
  const moved = await em.transactional(async (tx) => {
    await unlink(wf, tx, node);
    const placed = await wf.store.updateNode(tx, node.id, { upstreamId: num(v.upstreamId), branchIndex: num(v.branchIndex), downstreamId: null });
    await link(wf, tx, placed!);
    return wf.store.node(tx, node.id);
  });
  await wf.changed();
  return { data: moved };
}
