import { listRecords } from '../../data-api/index.js';
import type { CollectionMeta } from '../../data/index.js';
import { compileFilter } from '../../query/index.js';
import { JOB_STATUS } from '../constants.js';
import { render, renderFilter } from './leaf.js';
import type { Instruction, NodeContext } from './types.js';

/** `"audit"` or `"main:audit"` (NocoBase's data-source prefix; only `main` exists here). */
function collectionName(config: Record<string, unknown>): string {
  const raw = String(config.collection ?? '');
  return raw.includes(':') ? raw.slice(raw.indexOf(':') + 1) : raw;
}

function needsCollection(config: Record<string, unknown>): string | undefined {
  return typeof config.collection === 'string' && config.collection !== '' ? undefined : 'Collection is not configured';
}

function params(ctx: NodeContext): { meta: CollectionMeta; params: Record<string, unknown> } {
  const meta = ctx.data.collections.require(collectionName(ctx.node.config));
  const { filter, ...rest } = (ctx.node.config.params as Record<string, unknown> | undefined) ?? {};
  const rendered = render(rest, ctx.scope);
  return { meta, params: filter === undefined ? rendered : { ...rendered, filter: renderFilter(filter, ctx.scope) } };
}

function where(ctx: NodeContext, meta: CollectionMeta, filter: unknown) {
  const compiled = compileFilter(filter, meta, (n) => ctx.data.collections.get(n));
  if (compiled.sql.trim().toUpperCase() === 'TRUE') throw new Error('filter is required (an empty filter would touch every record)');
  return compiled;
}

/** `create`: `{collection, params: {values}}`; the result is the created record. */
export const create: Instruction = {
  validate: needsCollection,
  async run(ctx) {
    const { meta, params: p } = params(ctx);
    const record = await ctx.data.records.create(ctx.tx, meta.name, (p.values ?? {}) as never, { deferAfterCommit: ctx.deferAfterCommit });
    return { status: JOB_STATUS.RESOLVED, result: record };
  },
};

/** `update`: `{collection, params: {filter, values}}`; the result is the number of records updated. */
export const update: Instruction = {
  validate: needsCollection,
  async run(ctx) {
    const { meta, params: p } = params(ctx);
    const rows = await ctx.data.records.updateWhere(ctx.tx, meta.name, where(ctx, meta, p.filter), p.values ?? {}, { deferAfterCommit: ctx.deferAfterCommit });
    return { status: JOB_STATUS.RESOLVED, result: rows.length };
  },
};

/** `destroy`: `{collection, params: {filter}}`; the result is the number of records deleted. */
export const destroy: Instruction = {
  validate: needsCollection,
  async run(ctx) {
    const { meta, params: p } = params(ctx);
    const count = await ctx.data.records.destroyWhere(ctx.tx, meta.name, where(ctx, meta, p.filter), { deferAfterCommit: ctx.deferAfterCommit });
    return { status: JOB_STATUS.RESOLVED, result: count };
  },
};

/**
 * `query`: `{collection, multiple, params: {filter, sort, page, pageSize, appends}, failOnEmpty}`; the
 * result is one record (or null) or, with multiple, the list.
 */
export const query: Instruction = {
  validate: needsCollection,
  async run(ctx) {
    const { meta, params: p } = params(ctx);
    const multiple = Boolean(ctx.node.config.multiple);
    const sort = Array.isArray(p.sort) ? p.sort.map((s: { field?: string; direction?: string } | string) => (typeof s === 'string' ? s : `${s.direction === 'desc' ? '-' : ''}${s.field}`)) : p.sort;
    const listed = await listRecords(ctx.tx, meta, (n) => ctx.data.collections.get(n), { filter: p.filter, sort, appends: p.appends, page: p.page ?? 1, pageSize: multiple ? (p.pageSize ?? 20) : 1 }, ctx.aesKey);
    const result = multiple ? listed.data : (listed.data[0] ?? null);
    const empty = multiple ? listed.data.length === 0 : result === null;
    return { status: empty && ctx.node.config.failOnEmpty ? JOB_STATUS.FAILED : JOB_STATUS.RESOLVED, result };
  },
};
