import { collectionToJson, fieldToJson, type WriteOptions } from '../shared/data/index.js';
import { countRecords, idempotentWrite, listRecords, loadAppends, tokenSubject, type ListParams } from '../shared/data-api/index.js';
import { restAction } from '../shared/gateway/index.js';
import {
  authorize,
  byFilterKeys,
  filterInstead,
  nodeState,
  recordKey,
  requestsService,
  version,
  type DataCtx as Ctx,
  type DataLog as Log,
} from '../shared/runtime/index.js';

/**
 * A record write applied once per `Idempotency-Key` (shared/data-api/idempotent-write.ts). Called after
 * authorize, so the caller is verified before a stored answer is handed out.
 */
const once = (ctx: Ctx, write: (options: WriteOptions) => Promise<unknown>) => {
  const state = nodeState(ctx.broker);
  const app = ctx.meta.app ?? 'main';
  const { resourceName, ...params } = ctx.params;
  const request = { app, action: ctx.action?.name, resource: resourceName, params };
  const options = { schema: state.schemaOf(app), key: ctx.meta.idempotencyKey, principal: tokenSubject(ctx.meta.authorization), request, ttlMs: state.config.idempotencyTtlMs };
  return idempotentWrite(ctx.locals, options, (_em, opts) => write(opts));
};

const collectionsAction = (resource: string, action: string, write: boolean, run: (ctx: Ctx, log: Log) => Promise<unknown>) =>
  restAction({ resource, action, write }, {
    async handler(this: { logger: Log }, ctx: Ctx) {
      return run(ctx, this.logger);
    },
  });
const records = (action: string, write: boolean, run: (ctx: Ctx, log: Log) => Promise<unknown>) => collectionsAction('*', action, write, run);

/**
 * Collections, fields and records of an app (requests role), NocoBase's REST shapes; logic lives in
 * shared/data (metadata, DDL, codecs, repository), shared/query (filters) and shared/data-api.
 */
const DataService = requestsService({
  name: 'data',
  actions: {
    appInfo: restAction({ resource: 'app', action: 'getInfo', write: false }, {
      handler(ctx: Ctx) {
        return { data: { database: { dialect: 'postgres' }, version, lang: 'en-US', name: ctx.meta.app ?? 'main', theme: 'default' } };
      },
    }),

    collectionsList: collectionsAction('collections', 'list', false, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections', 'list');
      return { data: data.collections.list().map((m) => collectionToJson(m)) };
    }),
    collectionsGet: collectionsAction('collections', 'get', false, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections', 'get');
      return { data: data.collections.get(recordKey(ctx)) ? collectionToJson(data.collections.require(recordKey(ctx))) : null };
    }),
    collectionsCreate: collectionsAction('collections', 'create', true, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections', 'create');
      return { data: collectionToJson(await data.collections.create(ctx.locals.em, ctx.params.values)) };
    }),
    collectionsUpdate: collectionsAction('collections', 'update', true, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections', 'update');
      return { data: [collectionToJson(await data.collections.update(ctx.locals.em, recordKey(ctx), ctx.params.values))] };
    }),
    collectionsDestroy: collectionsAction('collections', 'destroy', true, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections', 'destroy');
      return { data: await data.collections.destroy(ctx.locals.em, recordKey(ctx)) };
    }),

    fieldsList: collectionsAction('collections.fields', 'list', false, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections.fields', 'list');
      const meta = data.collections.require(String(ctx.params.associatedIndex));
      return { data: [...meta.fields.values()].map((f) => fieldToJson(f, meta.name)) };
    }),
    fieldsCreate: collectionsAction('collections.fields', 'create', true, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections.fields', 'create');
      const name = String(ctx.params.associatedIndex);
      const field = await data.collections.addField(ctx.locals.em, name, ctx.params.values);
      return { data: fieldToJson(field, name) };
    }),
    fieldsUpdate: collectionsAction('collections.fields', 'update', true, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections.fields', 'update');
      const name = String(ctx.params.associatedIndex);
      const field = await data.collections.updateField(ctx.locals.em, name, recordKey(ctx), ctx.params.values);
      return { data: [fieldToJson(field, name)] };
    }),
    fieldsDestroy: collectionsAction('collections.fields', 'destroy', true, async (ctx, log) => {
      const data = await authorize(ctx, log, 'collections.fields', 'destroy');
      await data.collections.removeField(ctx.locals.em, String(ctx.params.associatedIndex), recordKey(ctx));
      return { data: 1 };
    }),

    list: records('list', false, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'list');
      const meta = data.collections.require(name);
      return listRecords(ctx.locals.em, meta, (n) => data.collections.get(n), ctx.params as ListParams, nodeState(ctx.broker).services().secrets.aesKey);
    }),
    count: records('count', false, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'count');
      return { data: await countRecords(ctx.locals.em, data.collections.require(name), (n) => data.collections.get(n), ctx.params.filter) };
    }),
    get: records('get', false, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'get');
      const record = await data.records.getByPk(ctx.locals.em, name, recordKey(ctx));
      if (record) await loadAppends(ctx.locals.em, data.collections.require(name), (n) => data.collections.get(n), [record], ctx.params.appends, nodeState(ctx.broker).services().secrets.aesKey);
      return { data: record };
    }),
    firstOrCreate: records('firstOrCreate', true, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'create');
      return once(ctx, async (opts) => {
        const { found, values } = await byFilterKeys(ctx, data, name);
        return { data: found ?? (await data.records.create(ctx.locals.em, name, values as never, opts)) };
      });
    }),
    updateOrCreate: records('updateOrCreate', true, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'update');
      return once(ctx, async (opts) => {
        const { found, values, meta } = await byFilterKeys(ctx, data, name);
        if (!found) return { data: await data.records.create(ctx.locals.em, name, values as never, opts) };
        const [updated] = await data.records.updateByPk(ctx.locals.em, name, found[meta.primaryKey], values, opts);
        return { data: updated };
      });
    }),
    create: records('create', true, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'create');
      return once(ctx, async (opts) => ({ data: await data.records.create(ctx.locals.em, name, ctx.params.values as never, opts) }));
    }),
    update: records('update', true, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'update');
      const where = filterInstead(ctx, data, name);
      return once(ctx, async (opts) => ({
        data: where
          ? await data.records.updateWhere(ctx.locals.em, name, where, ctx.params.values, opts)
          : await data.records.updateByPk(ctx.locals.em, name, recordKey(ctx), ctx.params.values, opts),
      }));
    }),
    destroy: records('destroy', true, async (ctx, log) => {
      const name = String(ctx.params.resourceName);
      const data = await authorize(ctx, log, name, 'destroy');
      const where = filterInstead(ctx, data, name);
      return once(ctx, async (opts) => ({
        data: where ? await data.records.destroyWhere(ctx.locals.em, name, where, opts) : await data.records.destroyByPk(ctx.locals.em, name, recordKey(ctx), opts),
      }));
    }),
  },
});

export = DataService;
