import { listMetadata } from '../metadata-list.js';
import { requestListParams } from '../target-filter.js';
import { collectionToJson, fieldToJson } from '../../data/index.js';
import { recordKey } from './request.js';
import type { DataHandler } from './types.js';

/** `collections:*` and `collections/<name>/fields:*`, NocoBase's shapes. */

export const listCollections: DataHandler = async (app, _caller, _em, params) => listMetadata(app.data.collections.list().map((m) => collectionToJson(m)), requestListParams(params));

export const getCollection: DataHandler = async (app, _caller, _em, params) => {
  const name = recordKey(params);
  return { data: app.data.collections.get(name) ? collectionToJson(app.data.collections.require(name)) : null };
};

export const createCollection: DataHandler = async (app, _caller, em, params) => ({ data: collectionToJson(await app.data.collections.create(em, params.values)) });

export const updateCollection: DataHandler = async (app, _caller, em, params) => ({
  data: [collectionToJson(await app.data.collections.update(em, recordKey(params), params.values))],
});

export const destroyCollection: DataHandler = async (app, _caller, em, params) => ({ data: await app.data.collections.destroy(em, recordKey(params)) });

export const listFields: DataHandler = async (app, _caller, _em, params) => {
  const meta = app.data.collections.require(String(params.associatedIndex));
  return listMetadata([...meta.fields.values()].map((f) => fieldToJson(f, meta.name)), requestListParams(params));
};

export const getField: DataHandler = async (app, _caller, _em, params) => {
  const meta = app.data.collections.require(String(params.associatedIndex));
  const field = meta.fields.get(recordKey(params));
  return { data: field ? fieldToJson(field, meta.name) : null };
};

export const createField: DataHandler = async (app, _caller, em, params) => {
  const name = String(params.associatedIndex);
  return { data: fieldToJson(await app.data.collections.addField(em, name, params.values), name) };
};

export const updateField: DataHandler = async (app, _caller, em, params) => {
  const name = String(params.associatedIndex);
  return { data: [fieldToJson(await app.data.collections.updateField(em, name, recordKey(params), params.values), name)] };
};

export const destroyField: DataHandler = async (app, _caller, em, params) => {
  await app.data.collections.removeField(em, String(params.associatedIndex), recordKey(params));
  return { data: 1 };
};
