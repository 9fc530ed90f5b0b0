import { dataActions as act, type DataHandler } from '../shared/data-api/index.js';
import { restRoute, type RestMeta } from '../shared/gateway/index.js';
import { requestsService, version } from '../shared/runtime/index.js';
import { restAction } from './support/rest-action.js';

/** A collections action: the caller must be allowed `action` on `resource` (e.g. `collections.fields`). */
const meta = (resource: string, action: string, write: boolean, run: DataHandler) => restAction({ resource, action, write }, run);
/** A records action (`/api/<collection>:<action>`): the caller must be allowed `permission` on that collection. */
const records = (action: string, write: boolean, run: DataHandler, permission = action) => restAction({ resource: '*', action, write, access: { action: permission } }, run);
/**
 * An association action (`/api/<collection>/<id>/<relation>:<action>`): list/get/count/create/update/
 * destroy are checked (with scopes and fields) on the target collection, as NocoBase; the link actions
 * as `permission` on the source collection.
 */
const association = (action: string, write: boolean, run: DataHandler, permission: string) => restAction({ resource: '*.*', action, write, access: { action: permission } }, run);

/**
 * Collections, fields and records of an app (requests role), NocoBase's REST shapes; bodies live in
 * shared/data-api/rest (on shared/data's metadata, DDL, codecs, repository and shared/query's filters).
 */
const DataService = requestsService({
  name: 'data',
  actions: {
    appInfo: restRoute({ resource: 'app', action: 'getInfo', write: false }, {
      handler(ctx: { meta: Partial<RestMeta> }) {
        return { data: { database: { dialect: 'postgres' }, version, lang: 'en-US', name: ctx.meta.app ?? 'main', theme: 'default' } };
      },
    }),

    collectionsList: meta('collections', 'list', false, act.listCollections),
    collectionsGet: meta('collections', 'get', false, act.getCollection),
    collectionsCreate: meta('collections', 'create', true, act.createCollection),
    collectionsUpdate: meta('collections', 'update', true, act.updateCollection),
    collectionsDestroy: meta('collections', 'destroy', true, act.destroyCollection),

    fieldsList: meta('collections.fields', 'list', false, act.listFields),
    fieldsCreate: meta('collections.fields', 'create', true, act.createField),
    fieldsUpdate: meta('collections.fields', 'update', true, act.updateField),
    fieldsDestroy: meta('collections.fields', 'destroy', true, act.destroyField),
    fieldsGet: meta('collections.fields', 'get', false, act.getField),

    associationList: association('list', false, act.listAssociation, 'get'),
    associationGet: association('get', false, act.getAssociation, 'get'),
    associationCount: association('count', false, act.countAssociation, 'get'),
    associationCreate: association('create', true, act.createAssociation, 'update'),
    associationUpdate: association('update', true, act.updateAssociation, 'update'),
    associationDestroy: association('destroy', true, act.destroyAssociation, 'update'),
    associationAdd: association('add', true, act.linkAction('add'), 'update'),
    associationRemove: association('remove', true, act.linkAction('remove'), 'update'),
    associationSet: association('set', true, act.linkAction('set'), 'update'),
    associationToggle: association('toggle', true, act.linkAction('toggle'), 'update'),

    list: records('list', false, act.listRecordsAction),
    count: records('count', false, act.countRecordsAction),
    get: records('get', false, act.getRecord),
    firstOrCreate: records('firstOrCreate', true, act.firstOrCreate, 'create'),
    updateOrCreate: records('updateOrCreate', true, act.updateOrCreate, 'update'),
    create: records('create', true, act.createRecord),
    update: records('update', true, act.updateRecords),
    destroy: records('destroy', true, act.destroyRecords),
  },
});

export = DataService;
