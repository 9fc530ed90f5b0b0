import { decodeForRead, type FieldMeta } from '../data/index.js';
import type { ExecutionRow, JobRow, NodeRow, WorkflowRow } from './types.js';

/** PostgreSQL rows → API objects: bigints as numbers (snowflakes stay below 2^53), dates as ISO text, `cb_` columns dropped. */

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** PostgreSQL's timestamptz text (`2026-12-04 21:54:55.1+00`) as ISO 8601 in UTC, as NocoBase answers. */
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(decodeForRead(TIMESTAMP, v)));
const TIMESTAMP: FieldMeta = { name: 'timestamp', type: 'datetime', key: 'timestamp' };

export function workflowRow(r: Record<string, unknown>): WorkflowRow {
  return {
    id: Number(r.id),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    key: String(r.key),
    title: (r.title as string | null) ?? null,
    enabled: Boolean(r.enabled),
    description: (r.description as string | null) ?? null,
    type: String(r.type),
    triggerTitle: (r.triggerTitle as string | null) ?? null,
    config: (r.config as Record<string, unknown>) ?? {},
    invalid: Boolean(r.invalid),
    executed: Number(r.executed ?? 0),
    allExecuted: Number(r.allExecuted ?? 0),
    current: r.current === null || r.current === undefined ? null : Boolean(r.current),
    sync: Boolean(r.sync),
    options: (r.options as Record<string, unknown>) ?? {},
    createdById: num(r.createdById),
    updatedById: num(r.updatedById),
  };
}

export function nodeRow(r: Record<string, unknown>): NodeRow {
  return {
    id: Number(r.id),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    key: String(r.key),
    title: (r.title as string | null) ?? null,
    upstreamId: num(r.upstreamId),
    branchIndex: num(r.branchIndex),
    downstreamId: num(r.downstreamId),
    type: String(r.type),
    config: (r.config as Record<string, unknown>) ?? {},
    workflowId: Number(r.workflowId),
  };
}

export function executionRow(r: Record<string, unknown>): ExecutionRow {
  return {
    createdAt: iso(r.createdAt)!,
    startedAt: iso(r.startedAt),
    expiresAt: iso(r.expiresAt),
    id: Number(r.id),
    updatedAt: iso(r.updatedAt)!,
    workflowId: Number(r.workflowId),
    key: (r.key as string | null) ?? null,
    eventKey: String(r.eventKey),
    context: (r.context as Record<string, unknown> | null) ?? null,
    status: num(r.status),
    reason: (r.reason as string | null) ?? null,
    dispatched: Boolean(r.dispatched),
    parentExecutionId: num(r.parentExecutionId),
    stack: r.stack ?? null,
    output: r.output ?? null,
    manually: (r.manually as boolean | null) ?? null,
    clusterNodeId: (r.cb_node as string | null | undefined) ?? null,
  };
}

export function jobRow(r: Record<string, unknown>): JobRow {
  return {
    startedAt: iso(r.startedAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    id: Number(r.id),
    executionId: Number(r.executionId),
    nodeId: num(r.nodeId),
    nodeKey: (r.nodeKey as string | null) ?? null,
    upstreamId: num(r.upstreamId),
    status: Number(r.status),
    meta: (r.meta as Record<string, unknown> | null) ?? null,
    result: r.result ?? null,
    log: r.log ?? null,
    seq: Number(r.cb_seq ?? 0),
  };
}

/** A job as the API shows it (no journal position). */
export function jobJson(job: JobRow): Omit<JobRow, 'seq'> {
  const { seq: _seq, ...rest } = job;
  return rest;
}
