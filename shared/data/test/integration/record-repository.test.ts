import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CollectionManager, RecordRepository, verifyPassword, type WriteEvent } from '../../index';
import { openTestApp, type TestApp } from './setup';

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

describe('RecordRepository on PostgreSQL', () => {
  let app: TestApp;
  let manager: CollectionManager;
  let repo: RecordRepository;
  const aesKey = randomBytes(32);
  const events: { type: string; ids: unknown[]; inTransaction: boolean }[] = [];
  const committed: string[] = [];

  const count = async (table: string) => Number((await app.client.query(`select count(*) as n from "${app.schema}"."${table}"`)).rows[0].n);

  beforeAll(async () => {
    app = await openTestApp('rr');
    manager = new CollectionManager({ schema: app.schema, ids: app.ids });
    await manager.load(app.em());
    repo = new RecordRepository({
      collections: manager,
      ids: app.ids,
      aesKey,
      scrypt: FAST_SCRYPT,
      onWrite: async (tx, event) => {
        events.push({ type: event.type, ids: event.records.map((r) => r.id), inTransaction: tx.isInTransaction() });
        event.afterCommit(() => void committed.push(`${event.type}:${event.records.length}`));
      },
    });
    await manager.create(app.em(), {
      name: 'products',
      fields: [
        { name: 'title', type: 'string', length: 20 },
        { name: 'price', type: 'double' },
        { name: 'qty', type: 'integer', defaultValue: 0 },
        { name: 'active', type: 'boolean' },
        { name: 'amount', type: 'decimal', precision: 10, scale: 2 },
        { name: 'day', type: 'dateOnly' },
        { name: 'at', type: 'datetime' },
        { name: 'meta', type: 'json' },
        { name: 'ref', type: 'uuid' },
        { name: 'big', type: 'bigInt' },
        { name: 'sku', type: 'string', unique: true },
      ],
    });
    await manager.create(app.em(), {
      name: 'accounts',
      createdAt: false,
      updatedAt: false,
      fields: [
        { name: 'login', type: 'string', allowNull: false },
        { name: 'password', type: 'password' },
        { name: 'secret', type: 'encrypted' },
      ],
    });
  });

  afterAll(async () => {
    await app.close();
  });

  test('creates a record: generated id, timestamps, defaults, every value decoded', async () => {
    const record = await repo.create(app.em(), 'products', {
      title: 'Widget',
      price: 9.5,
      active: true,
      amount: '12.50',
      day: '2026-11-22',
      at: '2026-11-22T08:40:15.967Z',
      meta: { tags: ['a', 'b'], n: 1 },
      ref: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      big: '9007199254740993',
    });
    expect(record).toMatchObject({
      title: 'Widget',
      price: 9.5,
      qty: 0,
      active: true,
      amount: '12.50',
      day: '2026-11-22',
      at: '2026-11-22T08:40:15.967Z',
      meta: { tags: ['a', 'b'], n: 1 },
      ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      big: '9007199254740993',
      sku: null,
    });
    expect(typeof record.id).toBe('number');
    expect(record.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(record.updatedAt).toBe(record.createdAt);
    expect(await repo.getByPk(app.em(), 'products', record.id)).toEqual(record);
    expect(await repo.getByPk(app.em(), 'products', String(record.id))).toEqual(record);
    expect(events.at(-1)).toEqual({ type: 'create', ids: [record.id], inTransaction: true });
    expect(committed.at(-1)).toBe('create:1');
  });

  test('an array body creates several records in one statement, in order', async () => {
    const records = await repo.create(app.em(), 'products', [{ title: 'A', qty: 1 }, { title: 'B', qty: 2, price: 1.25 }, { title: 'C' }]);
    expect(records.map((r) => [r.title, r.qty, r.price])).toEqual([
      ['A', 1, null],
      ['B', 2, 1.25],
      ['C', 0, null],
    ]);
    expect(new Set(records.map((r) => r.id)).size).toBe(3);
    expect(committed.at(-1)).toBe('create:3');
  });

  test('a large batch is split under the parameter limit and still written in one transaction', async () => {
    const small = new RecordRepository({ collections: manager, ids: app.ids, maxParams: 50 });
    const before = await count('products');
    const records = await small.create(app.em(), 'products', Array.from({ length: 40 }, (_, i) => ({ title: `bulk ${i}` })));
    expect(records).toHaveLength(40);
    expect(await count('products')).toBe(before + 40);
    await expect(small.create(app.em(), 'products', [...Array.from({ length: 30 }, (_, i) => ({ title: `ok ${i}`, sku: `dup-${i}` })), { title: 'dup', sku: 'dup-0' }])).rejects.toMatchObject({
      code: 409,
      type: 'CB_ERR_DATA_CONFLICT',
    });
    expect(await count('products')).toBe(before + 40);
  });

  test('unknown fields in the body are a 400 naming them, and nothing is written', async () => {
    const before = await count('products');
    await expect(repo.create(app.em(), 'products', { title: 'x', colour: 'red', size: 3 })).rejects.toMatchObject({
      code: 400,
      type: 'CB_ERR_VALIDATION',
      message: 'unknown fields "colour", "size" in collection "products"',
    });
    await expect(repo.create(app.em(), 'products', [{ title: 'ok' }, { title: 'x', colour: 'red' }])).rejects.toMatchObject({
      code: 400,
      message: expect.stringMatching(/"colour".*record 1/),
    });
    expect(await count('products')).toBe(before);
  });

  test.each([
    [{ qty: 'abc' }, /field "qty" must be an integer/],
    [{ qty: 1.5 }, /field "qty" must be an integer/],
    [{ qty: 2 ** 31 }, /field "qty" must be an integer/],
    [{ price: 'nine' }, /field "price" must be a finite number/],
    [{ active: 'yes' }, /field "active" must be true or false/],
    [{ title: 'x'.repeat(21) }, /field "title" must be at most 20 characters/],
    [{ title: 42 }, /field "title" must be a string/],
    [{ day: '2026-02-30' }, /field "day" must be a date/],
    [{ at: 'yesterday' }, /field "at" must be an ISO 8601/],
    [{ ref: 'not-a-uuid' }, /field "ref" must be a UUID/],
    [{ amount: '1e5x' }, /field "amount" must be a number or a decimal string/],
    [{ amount: 123456789 }, /field "amount" must have at most 8 digits/],
    [{ big: 1.5 }, /field "big" must be an integer/],
  ])('a wrong type (%j) is a 400 naming the field, and nothing is written', async (values, message) => {
    const before = await count('products');
    await expect(repo.create(app.em(), 'products', { title: 't', ...values })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(message) });
    expect(await count('products')).toBe(before);
  });

  test('updateByPk returns the updated records as an array, bumps updatedAt, [] when missing', async () => {
    const created = await repo.create(app.em(), 'products', { title: 'Before', price: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await repo.updateByPk(app.em(), 'products', created.id, { price: 12.75, title: 'After' });
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({ id: created.id, title: 'After', price: 12.75, createdAt: created.createdAt });
    expect(updated[0]!.updatedAt).not.toBe(created.updatedAt);
    expect(events.at(-1)).toMatchObject({ type: 'update', ids: [created.id] });
    expect(await repo.updateByPk(app.em(), 'products', 123456, { price: 1 })).toEqual([]);
    await expect(repo.updateByPk(app.em(), 'products', created.id, { nope: 1 })).rejects.toMatchObject({ code: 400 });
    // A generated (snowflakeId) primary key is server-managed: naming another one changes nothing.
    expect(await repo.updateByPk(app.em(), 'products', created.id, { id: 5 })).toMatchObject([{ id: created.id }]);
    await expect(repo.updateByPk(app.em(), 'products', 'abc', { price: 1 })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/filterByTk/) });
    expect((await repo.getByPk(app.em(), 'products', created.id))!.title).toBe('After');
  });

  test('a unique violation is a 409 naming the field', async () => {
    await repo.create(app.em(), 'products', { title: 'one', sku: 'SKU-1' });
    await expect(repo.create(app.em(), 'products', { title: 'two', sku: 'SKU-1' })).rejects.toMatchObject({
      code: 409,
      type: 'CB_ERR_DATA_CONFLICT',
      message: expect.stringMatching(/"sku"/),
    });
  });

  test('destroyByPk answers the count; the record is gone', async () => {
    const created = await repo.create(app.em(), 'products', { title: 'Doomed' });
    await expect(repo.destroyByPk(app.em(), 'products', created.id)).resolves.toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'destroy', ids: [created.id] });
    await expect(repo.destroyByPk(app.em(), 'products', created.id)).resolves.toBe(0);
    await expect(repo.getByPk(app.em(), 'products', created.id)).resolves.toBeNull();
  });

  test('getByPk with fields returns only those; unknown fields are a 400; unknown collection a 404', async () => {
    const created = await repo.create(app.em(), 'products', { title: 'Some', price: 3 });
    expect(await repo.getByPk(app.em(), 'products', created.id, { fields: ['id', 'title'] })).toEqual({ id: created.id, title: 'Some' });
    await expect(repo.getByPk(app.em(), 'products', created.id, { fields: ['nope'] })).rejects.toMatchObject({ code: 400 });
    await expect(repo.getByPk(app.em(), 'nothing', 1)).rejects.toMatchObject({ code: 404, type: 'CB_ERR_DATA_NOT_FOUND' });
    await expect(repo.create(app.em(), 'nothing', {})).rejects.toMatchObject({ code: 404 });
  });

  test('a password is stored as a scrypt hash and never returned', async () => {
    const account = await repo.create(app.em(), 'accounts', { login: 'ann', password: 'hunter2' });
    expect(account).not.toHaveProperty('password');
    expect(await repo.getByPk(app.em(), 'accounts', account.id)).not.toHaveProperty('password');
    expect(await repo.getByPk(app.em(), 'accounts', account.id, { fields: ['login', 'password'] })).toEqual({ login: 'ann' });
    const { rows } = await app.client.query(`select password from "${app.schema}"."accounts" where id = $1`, [account.id]);
    expect(rows[0].password).toMatch(/^scrypt\$1024\$8\$1\$[^$]+\$[^$]+$/);
    expect(rows[0].password).not.toContain('hunter2');
    await expect(verifyPassword(rows[0].password, 'hunter2')).resolves.toBe(true);
    await expect(verifyPassword(rows[0].password, 'hunter3')).resolves.toBe(false);
    const updated = await repo.updateByPk(app.em(), 'accounts', account.id, { password: 'correct horse' });
    expect(updated[0]).not.toHaveProperty('password');
    const after = await app.client.query(`select password from "${app.schema}"."accounts" where id = $1`, [account.id]);
    await expect(verifyPassword(after.rows[0].password, 'correct horse')).resolves.toBe(true);
  });

  test('an encrypted value is ciphertext in the table and plaintext through the repository', async () => {
    const account = await repo.create(app.em(), 'accounts', { login: 'bob', secret: 'the launch code' });
    expect(account.secret).toBe('the launch code');
    const { rows } = await app.client.query(`select secret from "${app.schema}"."accounts" where id = $1`, [account.id]);
    expect(rows[0].secret).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(rows[0].secret).not.toContain('launch');
    expect((await repo.getByPk(app.em(), 'accounts', account.id))!.secret).toBe('the launch code');

    const otherKey = new RecordRepository({ collections: manager, ids: app.ids, aesKey: randomBytes(32) });
    await expect(otherKey.getByPk(app.em(), 'accounts', account.id)).rejects.toMatchObject({
      code: 500,
      type: 'CB_ERR_DATA_DECRYPT',
      message: expect.stringMatching(/field "secret".*APP_AES_SECRET_KEY/),
    });
    const noKey = new RecordRepository({ collections: manager, ids: app.ids });
    await expect(noKey.getByPk(app.em(), 'accounts', account.id)).rejects.toMatchObject({ type: 'CB_ERR_DATA_NO_AES_KEY' });
    expect(() => new RecordRepository({ collections: manager, ids: app.ids, aesKey: randomBytes(16) })).toThrow(/32 bytes/);
  });

  test('allowNull false is a 400 naming the field when the value is missing or null', async () => {
    await expect(repo.create(app.em(), 'accounts', { secret: 's' })).rejects.toMatchObject({ code: 400, message: 'field "login" is required' });
    await expect(repo.create(app.em(), 'accounts', { login: null })).rejects.toMatchObject({ code: 400, message: 'field "login" cannot be null' });
  });

  test('a throwing onWrite hook rolls the write back and after-commit work never runs', async () => {
    const ran: string[] = [];
    const failing = new RecordRepository({
      collections: manager,
      ids: app.ids,
      onWrite: async (_tx, event) => {
        event.afterCommit(() => void ran.push('after'));
        throw new Error('hook says no');
      },
      afterCommit: () => void ran.push('global'),
    });
    const before = await count('products');
    await expect(failing.create(app.em(), 'products', { title: 'rolled back' })).rejects.toThrow('hook says no');
    expect(await count('products')).toBe(before);
    expect(ran).toEqual([]);
  });

  test('the onWrite hook writes in the same transaction; afterCommit sees committed data', async () => {
    let seenAfterCommit: number | undefined;
    const audited = new RecordRepository({
      collections: manager,
      ids: app.ids,
      onWrite: async (tx, event) => {
        await tx.execute(`update "${app.schema}"."products" set qty = 99 where id = ?`, [event.records[0]!.id]);
      },
      afterCommit: async (event: WriteEvent) => {
        const { rows } = await app.client.query(`select qty from "${app.schema}"."products" where id = $1`, [event.records[0]!.id]);
        seenAfterCommit = rows[0].qty;
      },
    });
    const record = await audited.create(app.em(), 'products', { title: 'hooked' });
    expect(seenAfterCommit).toBe(99);
    expect((await repo.getByPk(app.em(), 'products', record.id))!.qty).toBe(99);
  });

  test('a hook idle for a collection is left out of its writes, which then run without a transaction; others still get it', async () => {
    const seen: Array<{ collection: string; inTransaction: boolean }> = [];
    const plain = new RecordRepository({ collections: manager, ids: app.ids });
    plain.addHook({
      idle: (collection) => collection === 'products',
      onWrite: async (tx, event) => void seen.push({ collection: event.collection.name, inTransaction: tx.isInTransaction() }),
    });
    await plain.create(app.em(), 'products', { title: 'idle hook' });
    await plain.create(app.em(), 'accounts', { login: 'hooked' });
    expect(seen).toEqual([{ collection: 'accounts', inTransaction: true }]);
    const em = app.em();
    await plain.create(em, 'products', { title: 'no transaction' });
    expect(em.isInTransaction()).toBe(false);
  });

  test('inside the caller\'s transaction, after-commit work is handed to the caller', async () => {
    const deferred: (() => Promise<void>)[] = [];
    const em = app.em();
    await expect(em.transactional((tx: EntityManager) => repo.create(tx, 'products', { title: 'nested' }))).rejects.toThrow(/deferAfterCommit/);
    const before = committed.length;
    await em.transactional((tx: EntityManager) => repo.create(tx, 'products', { title: 'nested' }, { deferAfterCommit: (fn) => void deferred.push(fn) }));
    expect(committed.length).toBe(before);
    expect(deferred).toHaveLength(1);
    await deferred[0]!();
    expect(committed.at(-1)).toBe('create:1');
  });

  test('a belongsTo is written through its foreign key, its name with a key, an object with the key, or a new object', async () => {
    await manager.create(app.em(), { name: 'authors', fields: [{ name: 'name', type: 'string' }] });
    await manager.create(app.em(), { name: 'posts', fields: [{ name: 'author', type: 'belongsTo', target: 'authors' }] });
    const ann = await repo.create(app.em(), 'authors', { name: 'Ann' });
    const a = await repo.create(app.em(), 'posts', { authorId: ann.id });
    const b = await repo.create(app.em(), 'posts', { author: ann.id });
    const c = await repo.create(app.em(), 'posts', { author: { id: ann.id } });
    // An existing record named by its key is linked, not changed (NocoBase, without updateAssociationValues).
    const linked = await repo.create(app.em(), 'posts', { author: { id: ann.id, name: 'Ann B.' } });
    expect(linked).toMatchObject({ authorId: ann.id, author: { id: ann.id, name: 'Ann' } });
    expect([a.authorId, b.authorId, c.authorId]).toEqual([ann.id, ann.id, ann.id]);
    expect(a).not.toHaveProperty('author');
    await expect(repo.create(app.em(), 'posts', { authorId: 1 })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/authorId.*no such record/) });
    const created = await repo.create(app.em(), 'posts', { author: { name: 'x' } });
    expect(created).toMatchObject({ author: { name: 'x' }, authorId: (created.author as { id: number }).id });
    await expect(repo.create(app.em(), 'posts', { author: ann.id, authorId: ann.id })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/either/) });
    await manager.addField(app.em(), 'authors', { name: 'posts', type: 'hasMany', target: 'posts', foreignKey: 'authorId' });
    const bob = await repo.create(app.em(), 'authors', { name: 'Bob', posts: [b.id] });
    expect((bob.posts as { id: number }[]).map((p) => p.id)).toEqual([b.id]);
    // deleting the author sets the posts' foreign key to null (on delete set null)
    await repo.destroyByPk(app.em(), 'authors', ann.id);
    expect((await repo.getByPk(app.em(), 'posts', a.id))!.authorId).toBeNull();
  });

  test('a field added through another node\'s manager is usable at once (the cache is re-read before refusing)', async () => {
    const nodeB = new CollectionManager({ schema: app.schema, ids: app.ids });
    await nodeB.load(app.em());
    await nodeB.addField(app.em(), 'products', { name: 'colour', type: 'string' });
    const record = await repo.create(app.em(), 'products', { title: 'red one', colour: 'red' });
    expect(record.colour).toBe('red');
    expect(manager.require('products').fields.has('colour')).toBe(true);
  });
});
