import type { RecordValues } from '../../data/index.js';
import { countRecords, getRecord as findRecord, listRecords, type ListParams } from '../list-records.js';
import { requestListParams } from '../target-filter.js';
import { byFilterKeys, collectionName, filterInstead, once, recordKey } from './request.js';
import { associationWriteOptions, guardValues } from '../write-params.js';
import type { DataApp, DataHandler, DataParams } from './types.js';

/** `values` after `whitelist` / `blacklist`, and the write options `updateAssociationValues` adds. */
function writeInput(app: DataApp, params: DataParams, name: string) {
  const values = guardValues(app.data.collections.require(name), (n) => app.data.collections.get(n), params.values, params);
  return { values, options: associationWriteOptions(params) };
}

/** `<collection>:list|count|get|create|update|destroy|firstOrCreate|updateOrCreate`, NocoBase's shapes. */

export const listRecordsAction: DataHandler = async (app, caller, em, params) => {
  const meta = app.data.collections.require(collectionName(params));
  return listRecords(em, meta, (n) => app.data.collections.get(n), { ...(requestListParams(params) as ListParams), timezone: caller.request.timezone }, app.aesKey);
};

export const countRecordsAction: DataHandler = async (app, caller, em, params) => ({
  data: await countRecords(em, app.data.collections.require(collectionName(params)), (n) => app.data.collections.get(n), requestListParams(params).filter, caller.request.timezone),
});

export const getRecord: DataHandler = async (app, caller, em, params) => {
  const meta = app.data.collections.require(collectionName(params));
  const list = { ...(requestListParams(params) as ListParams), timezone: caller.request.timezone };
  return { data: await findRecord(em, meta, (n) => app.data.collections.get(n), list, app.aesKey) };
};

export const firstOrCreate: DataHandler = async (app, caller, em, params) => {
  const name = collectionName(params);
  return once(app, caller, em, params, async (tx, opts) => {
    const { found, values } = await byFilterKeys(app, tx, params, name);
    return { data: found ?? (await app.data.records.create(tx, name, values, opts)) };
  });
};

export const updateOrCreate: DataHandler = async (app, caller, em, params) => {
  const name = collectionName(params);
  return once(app, caller, em, params, async (tx, opts) => {
    const { found, values, meta } = await byFilterKeys(app, tx, params, name);
    if (!found) return { data: await app.data.records.create(tx, name, values, opts) };
    const [updated] = await app.data.records.updateByPk(tx, name, found[meta.primaryKey], values, opts);
    return { data: updated };
  });
};

export const createRecord: DataHandler = async (app, caller, em, params) => {
  const name = collectionName(params);
  const input = writeInput(app, params, name);
  return once(app, caller, em, params, async (tx, opts) => ({ data: await app.data.records.create(tx, name, input.values as RecordValues, { ...opts, ...input.options }) }));
};

export const updateRecords: DataHandler = async (app, caller, em, params) => {
  const name = collectionName(params);
  const where = filterInstead(app, params, name, caller.request.timezone);
  const { values, options } = writeInput(app, params, name);
  return once(app, caller, em, params, async (tx, opts) => ({
    data: where ? await app.data.records.updateWhere(tx, name, where, values, { ...opts, ...options }) : await app.data.records.updateByPk(tx, name, recordKey(params), values, { ...opts, ...options }),
  }));
};

export const destroyRecords: DataHandler = async (app, caller, em, params) => {
  const name = collectionName(params);
  const where = filterInstead(app, params, name, caller.request.timezone);
  return once(app, caller, em, params, async (tx, opts) => ({
    data: where ? await app.data.records.destroyWhere(tx, name, where, opts) : await app.data.records.destroyByPk(tx, name, recordKey(params), opts),
  }));
};
