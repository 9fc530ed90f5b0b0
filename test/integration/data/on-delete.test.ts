import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

/** `onDelete` on belongsTo / hasMany / hasOne (issue 12 item 1): SET NULL (default), CASCADE, RESTRICT, as NocoBase. */
describe('relation onDelete', () => {
  const schema = uniqueSchema('ondelete');
  let broker: ServiceBroker;
  let base: string;
  let token = '';
  const call = jsonCaller(() => `${base}/`, () => token);
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.body.errors).toBeUndefined();
    return res.body;
  };

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService]);
    broker = node.broker;
    base = node.api;
    token = (await call('POST', 'auth:signIn', { account: 'nocobase', password: 'admin123' })).body.data.token;
    await ok('POST', 'collections:create', { name: 'owners', fields: [{ name: 'name', type: 'string' }] });
    await ok('POST', 'collections:create', {
      name: 'items',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'loose', type: 'belongsTo', target: 'owners' },
        { name: 'owned', type: 'belongsTo', target: 'owners', onDelete: 'CASCADE' },
        { name: 'guarded', type: 'belongsTo', target: 'owners', onDelete: 'RESTRICT' },
      ],
    });
    await ok('POST', 'collections:create', { name: 'notes', fields: [{ name: 'text', type: 'string' }, { name: 'ownerId', type: 'bigInt' }] });
    await ok('POST', 'collections/owners/fields:create', { name: 'notes', type: 'hasMany', target: 'notes', foreignKey: 'ownerId', onDelete: 'CASCADE' });
  });

  afterAll(async () => {
    await broker?.stop();
    await dropSchemas(schema);
  });

  test('SET NULL by default, CASCADE deletes the referencing records, RESTRICT refuses the delete with a 409', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (name) => (await ok('POST', 'owners:create', { name })).data));
    const loose = (await ok('POST', 'items:create', { name: 'loose', loose: a.id })).data;
    await ok('POST', 'items:create', { name: 'owned', owned: b.id });
    await ok('POST', 'items:create', { name: 'guarded', guarded: c.id });
    await ok('POST', 'owners:create', { name: 'd', notes: [{ text: 'n1' }, { text: 'n2' }] });

    await ok('POST', `owners:destroy?filterByTk=${a.id}`);
    expect((await ok('GET', `items:get?filterByTk=${loose.id}`)).data.looseId).toBeNull();

    await ok('POST', `owners:destroy?filterByTk=${b.id}`);
    expect((await ok('GET', 'items:list?sort=name')).data.map((i: Json) => i.name)).toEqual(['guarded', 'loose']);

    const refused = await call('POST', `owners:destroy?filterByTk=${c.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors![0]!.message).toMatch(/still referenced by records of "items"/);
    expect((await ok('GET', `owners:get?filterByTk=${c.id}`)).data.name).toBe('c');

    await ok('POST', `owners:destroy?filter=${encodeURIComponent(JSON.stringify({ name: 'd' }))}`);
    expect((await ok('GET', 'notes:count')).data).toBe(0);
  });

  test('an unknown onDelete is refused', async () => {
    const res = await call('POST', 'collections/items/fields:create', { name: 'bad', type: 'belongsTo', target: 'owners', onDelete: 'EXPLODE' });
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.message).toMatch(/onDelete must be one of SET NULL, CASCADE, RESTRICT, NO ACTION/);
  });
});
