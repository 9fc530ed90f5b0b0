import { createInAssociation, associationWhere, linkAssociation, linkKeys, resolveAssociation, type Association, type LinkAction } from '../associations.js';
import { countRecords, getRecord, listRecords, type ListParams } from '../list-records.js';
import { requestListParams } from '../target-filter.js';
import { inOneTransaction, once } from './request.js';
import type { DataApp, DataHandler, DataParams } from './types.js';

/** `<collection>/<id>/<relation>:<action>` (resource `<collection>.<relation>`), on shared/data-api/associations.ts. */

const resolve = (app: DataApp, em: Parameters<DataHandler>[2], params: DataParams) => {
  const [source, field] = String(params.resourceName).split('.') as [string, string];
  return resolveAssociation(em, app.data.collections.require(source), (n) => app.data.collections.get(n), field, params.associatedIndex);
};
const listParams = (params: DataParams, a: Association, timezone: string | undefined): ListParams => ({ ...(requestListParams(params) as ListParams), timezone, scope: a.scope });

export const listAssociation: DataHandler = async (app, caller, em, params) => {
  const a = await resolve(app, em, params);
  return listRecords(em, a.target, (n) => app.data.collections.get(n), listParams(params, a, caller.request.timezone), app.aesKey);
};

export const getAssociation: DataHandler = async (app, caller, em, params) => {
  const a = await resolve(app, em, params);
  return { data: await getRecord(em, a.target, (n) => app.data.collections.get(n), listParams(params, a, caller.request.timezone), app.aesKey) };
};

export const countAssociation: DataHandler = async (app, caller, em, params) => {
  const a = await resolve(app, em, params);
  return { data: await countRecords(em, a.target, (n) => app.data.collections.get(n), requestListParams(params).filter, caller.request.timezone, a.scope) };
};

export const createAssociation: DataHandler = async (app, caller, em, params) => {
  const a = await resolve(app, em, params);
  // The record and its link commit together.
  return once(app, caller, em, params, (tx, opts) => inOneTransaction(tx, opts, async (t, o) => ({ data: await createInAssociation(t, app.data.records, a, params.values, o) })));
};

export const updateAssociation: DataHandler = async (app, caller, em, params) => {
  const a = await resolve(app, em, params);
  const where = associationWhere(a, (n) => app.data.collections.get(n), params.filterByTk, params.filter, caller.request.timezone);
  return once(app, caller, em, params, async (tx, opts) => ({ data: await app.data.records.updateWhere(tx, a.target.name, where, params.values, opts) }));
};

export const destroyAssociation: DataHandler = async (app, caller, em, params) => {
  const a = await resolve(app, em, params);
  const where = associationWhere(a, (n) => app.data.collections.get(n), params.filterByTk, params.filter, caller.request.timezone);
  return once(app, caller, em, params, async (tx, opts) => ({ data: await app.data.records.destroyWhere(tx, a.target.name, where, opts) }));
};

export const linkAction =
  (action: LinkAction): DataHandler =>
  async (app, caller, em, params) => {
    const a = await resolve(app, em, params);
    return once(app, caller, em, params, (tx, opts) =>
      inOneTransaction(tx, opts, async (t, o) => {
        await linkAssociation(t, app.data.records, a, action, linkKeys(a, params.filterByTk, params.values), o);
        return { data: null };
      }),
    );
  };
