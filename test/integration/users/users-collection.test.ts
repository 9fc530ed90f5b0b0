import type { Json } from '../../support/http';
import { usersNode } from './support';

/** `users` is a collection like NocoBase's: fields can be added to it and relations can target it. */
describe('the users collection', () => {
  const { call } = usersNode('ucol');

  test('is listed with its fields (never a password value) and keeps its built-in parts', async () => {
    const got = (await call('GET', '/api/collections:get?filterByTk=users')).body.data;
    expect(got).toMatchObject({ name: 'users', title: '{{t("Users")}}' });
    const fields = (await call('GET', '/api/collections/users/fields:list?paginate=false')).body.data.map((f: Json) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['id', 'username', 'email', 'nickname', 'password', 'createdAt', 'updatedAt']));
    expect((await call('POST', '/api/collections:destroy?filterByTk=users')).status).toBe(400);
    expect((await call('POST', '/api/collections/users/fields:destroy?filterByTk=email')).status).toBe(400);
    expect((await call('POST', '/api/collections/users/fields:update?filterByTk=username', { type: 'text' })).status).toBe(400);
    expect((await call('POST', '/api/collections/users/fields:update?filterByTk=username', { uiSchema: { title: 'Login' } })).status).toBe(200);
    expect((await call('POST', '/api/collections:create', { name: 'users' })).status).toBe(400);
  });

  test('a field added to users is written and read by users:create|update|get|list', async () => {
    expect((await call('POST', '/api/collections/users/fields:create', { name: 'phone', type: 'string', interface: 'phone' })).status).toBe(200);
    const made = await call('POST', '/api/users:create', { username: 'pia', password: 'pia-password-1', phone: '+49 30 1234' });
    expect(made.body.errors).toBeUndefined();
    expect(made.body.data).toMatchObject({ username: 'pia', phone: '+49 30 1234' });
    expect((await call('POST', `/api/users:update?filterByTk=${made.body.data.id}`, { phone: '+49 30 9999' })).body.data.phone).toBe('+49 30 9999');
    expect((await call('GET', `/api/users:get?filterByTk=${made.body.data.id}`)).body.data.phone).toBe('+49 30 9999');
    const listed = (await call('GET', '/api/users:list')).body.data;
    expect(listed.find((u: Json) => u.username === 'pia')).toMatchObject({ phone: '+49 30 9999' });
    expect(JSON.stringify(listed)).not.toMatch(/scrypt/);
    // Actions the users service does not declare are the collection's records actions.
    expect((await call('GET', '/api/users:count')).body.data).toBe(listed.length);
    const pia = (await call('POST', '/api/auth:signIn', { account: 'pia', password: 'pia-password-1' }, '')).body.data.token;
    expect((await call('GET', '/api/users:count', undefined, pia)).status).toBe(403);
    // A wrong value for the added field is a 400 and writes nothing.
    expect((await call('POST', '/api/users:create', { username: 'quinn', password: 'quinn-password-1', phone: { no: 1 } })).status).toBe(400);
    expect((await call('GET', '/api/users:list')).body.data.some((u: Json) => u.username === 'quinn')).toBe(false);
  });

  test('createdBy / updatedBy and a belongsTo to users are relations appended on lists', async () => {
    const made = await call('POST', '/api/collections:create', {
      name: 'tickets',
      createdBy: true,
      updatedBy: true,
      fields: [{ name: 'title', type: 'string' }, { name: 'assignee', type: 'belongsTo', target: 'users', foreignKey: 'assigneeId' }],
    });
    expect(made.body.errors).toBeUndefined();
    const pia = (await call('GET', '/api/users:list')).body.data.find((u: Json) => u.username === 'pia');
    const token = (await call('POST', '/api/auth:signIn', { account: 'pia', password: 'pia-password-1' }, '')).body.data.token;
    expect((await call('POST', '/api/tickets:create', { title: 'broken', assigneeId: pia.id }, token)).status).toBe(200);
    const [ticket] = (await call('GET', '/api/tickets:list?appends=createdBy,updatedBy,assignee')).body.data;
    expect(ticket).toMatchObject({ title: 'broken', createdById: pia.id, createdBy: { id: pia.id, username: 'pia', phone: '+49 30 9999' }, updatedBy: { id: pia.id }, assignee: { username: 'pia' } });
    expect(ticket.createdBy).not.toHaveProperty('password');
    // Filters through the relation work too, and the user's tickets are an association of users.
    expect((await call('GET', `/api/tickets:list?filter=${encodeURIComponent(JSON.stringify({ 'createdBy.username': 'pia' }))}`)).body.data).toHaveLength(1);
    // Removing the user keeps the ticket (the foreign key is set null).
    expect((await call('POST', `/api/users:destroy?filterByTk=${pia.id}`)).status).toBe(200);
    expect((await call('GET', '/api/tickets:list')).body.data[0]).toMatchObject({ title: 'broken', createdById: null, assigneeId: null });
  });
});
