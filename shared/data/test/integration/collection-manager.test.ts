import { CollectionManager, collectionToJson, fieldToJson } from '../../index';
import { columnTypes, openTestApp, type TestApp } from './setup';

describe('CollectionManager on PostgreSQL', () => {
  let app: TestApp;
  let manager: CollectionManager;
  const changes: string[] = [];
  const lockKeys: string[] = [];

  beforeAll(async () => {
    app = await openTestApp('cm');
    manager = new CollectionManager({
      schema: app.schema,
      ids: app.ids,
      lock: async (key, fn) => {
        lockKeys.push(key);
        return fn();
      },
      onChange: (name) => void changes.push(name),
    });
    await manager.load(app.em());
  });

  afterAll(async () => {
    await app.close();
  });

  const products = {
    name: 'products',
    title: 'Products',
    fields: [
      { name: 'title', type: 'string', interface: 'input', uiSchema: { title: 'Title', 'x-component': 'Input' } },
      { name: 'price', type: 'double', interface: 'number' },
      { name: 'qty', type: 'integer' },
      { name: 'active', type: 'boolean' },
      { name: 'notes', type: 'text' },
    ],
  };

  test('collections:create makes a real table with the mapped column types, id and timestamps', async () => {
    const meta = await manager.create(app.em(), products);
    expect(meta.primaryKey).toBe('id');
    expect([...meta.fields.keys()]).toEqual(['id', 'title', 'price', 'qty', 'active', 'notes', 'createdAt', 'updatedAt']);
    expect(await columnTypes(app, 'products')).toEqual({
      id: 'bigint',
      title: 'varchar(255)',
      price: 'double precision',
      qty: 'integer',
      active: 'boolean',
      notes: 'text',
      createdAt: 'timestamp with time zone',
      updatedAt: 'timestamp with time zone',
    });
    expect(manager.get('products')).toBe(meta);
    expect(changes).toContain('products');
    expect(lockKeys).toContain(`collections:${app.schema}`);
  });

  test('every field type maps to its column type', async () => {
    await manager.create(app.em(), {
      name: 'all_types',
      createdAt: false,
      updatedAt: false,
      fields: [
        { name: 's', type: 'string', length: 40 },
        { name: 't', type: 'text' },
        { name: 'i', type: 'integer' },
        { name: 'b', type: 'bigInt' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 'n', type: 'decimal', precision: 10, scale: 2 },
        { name: 'n2', type: 'decimal' },
        { name: 'bo', type: 'boolean' },
        { name: 'da', type: 'date' },
        { name: 'dt', type: 'datetime' },
        { name: 'j', type: 'json' },
        { name: 'u', type: 'uuid' },
        { name: 'sf', type: 'snowflakeId' },
        { name: 'p', type: 'password' },
        { name: 'e', type: 'encrypted' },
      ],
    });
    expect(await columnTypes(app, 'all_types')).toEqual({
      id: 'bigint',
      s: 'varchar(40)',
      t: 'text',
      i: 'integer',
      b: 'bigint',
      f: 'double precision',
      d: 'double precision',
      n: 'numeric(10,2)',
      n2: 'numeric(20,6)',
      bo: 'boolean',
      da: 'timestamp with time zone',
      dt: 'timestamp with time zone',
      j: 'jsonb',
      u: 'uuid',
      sf: 'bigint',
      p: 'text',
      e: 'text',
    });
  });

  test('the response has NocoBase\'s shape', () => {
    const json = collectionToJson(manager.require('products'));
    expect(json).toMatchObject({
      name: 'products',
      title: 'Products',
      inherit: false,
      hidden: false,
      autoGenId: true,
      createdAt: true,
      updatedAt: true,
      filterTargetKey: 'id',
      unavailableActions: [],
    });
    expect(typeof json.key).toBe('string');
    const title = (json.fields as Record<string, unknown>[]).find((f) => f.name === 'title');
    expect(title).toMatchObject({ name: 'title', type: 'string', interface: 'input', collectionName: 'products', uiSchema: { title: 'Title', 'x-component': 'Input' } });
    expect(typeof title!.key).toBe('string');
  });

  test('metadata survives a reload from the database by another manager (another node)', async () => {
    const other = new CollectionManager({ schema: app.schema, ids: app.ids });
    await other.load(app.em());
    expect(collectionToJson(other.require('products'))).toEqual(collectionToJson(manager.require('products')));
    expect(other.list().map((c) => c.name)).toEqual(['all_types', 'attachments', 'products', 'users']);
  });

  test('refuses invalid names, reserved names, unknown types and duplicates with a 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'bad-name' }, /collection name "bad-name" is invalid/],
      [{ name: 'x'.repeat(64) }, /is invalid/],
      [{ name: 'cb_things' }, /reserved/],
      [{ name: 'collections' }, /reserved/],
      [{ name: 'weird', fields: [{ name: 'w', type: 'nosuchtype' }] }, /unsupported type "nosuchtype"/],
      [{ name: 'weird', fields: [{ name: 'a b', type: 'string' }] }, /field name "a b".*invalid/],
      [{ name: 'weird', fields: [{ name: 'a', type: 'string' }, { name: 'a', type: 'text' }] }, /appears twice/],
      [{ name: 'weird', fields: [{ name: 'id', type: 'string' }] }, /conflicts with the generated primary key/],
      [{ name: 'weird', fields: [{ name: 'x', type: 'string', length: 'long' }] }, /length must be an integer/],
      [{ name: 'products' }, /already exists/],
    ];
    for (const [definition, message] of cases) {
      await expect(manager.create(app.em(), definition)).rejects.toMatchObject({ code: 400, type: 'CB_ERR_VALIDATION', message: expect.stringMatching(message) });
    }
    expect(manager.get('weird')).toBeUndefined();
  });

  test('a collection without autoGenId uses the field marked primaryKey', async () => {
    const meta = await manager.create(app.em(), {
      name: 'countries',
      autoGenId: false,
      createdAt: false,
      updatedAt: false,
      fields: [{ name: 'code', type: 'string', length: 2, primaryKey: true }, { name: 'label', type: 'string' }],
    });
    expect(meta.primaryKey).toBe('code');
    expect(await columnTypes(app, 'countries')).toEqual({ code: 'varchar(2)', label: 'varchar(255)' });
    const { rows } = await app.client.query(
      `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = $1::regclass and i.indisprimary`,
      [`"${app.schema}"."countries"`],
    );
    expect(rows).toEqual([{ attname: 'code' }]);
  });

  test('fields:create adds the column at once; a duplicate name is a 400 like NocoBase', async () => {
    const field = await manager.addField(app.em(), 'products', { name: 'sku', type: 'string', interface: 'input', unique: true, uiSchema: { title: 'SKU' } });
    expect(fieldToJson(field, 'products')).toMatchObject({ name: 'sku', type: 'string', interface: 'input', collectionName: 'products', unique: true });
    expect((await columnTypes(app, 'products')).sku).toBe('varchar(255)');
    expect(manager.require('products').fields.get('sku')).toEqual(field);
    await expect(manager.addField(app.em(), 'products', { name: 'sku', type: 'string' })).rejects.toMatchObject({
      code: 400,
      message: 'Field name "sku" already exists in collection "products"',
    });
    await expect(manager.addField(app.em(), 'nope', { name: 'x', type: 'string' })).rejects.toMatchObject({ code: 404, type: 'CB_ERR_DATA_NOT_FOUND' });
  });

  test('fields:update changes the column type with ALTER … USING, and length', async () => {
    await app.client.query(`insert into "${app.schema}"."products" (id, notes, qty) values (1, '42', 1)`);
    await manager.updateField(app.em(), 'products', 'notes', { type: 'integer' });
    expect((await columnTypes(app, 'products')).notes).toBe('integer');
    const { rows } = await app.client.query(`select notes from "${app.schema}"."products" where id = 1`);
    expect(rows[0].notes).toBe(42);
    await manager.updateField(app.em(), 'products', 'title', { length: 500, uiSchema: { title: 'Name' } });
    expect((await columnTypes(app, 'products')).title).toBe('varchar(500)');
    expect(manager.require('products').fields.get('title')).toMatchObject({ length: 500, uiSchema: { title: 'Name' }, interface: 'input' });
    await app.client.query(`delete from "${app.schema}"."products"`);
  });

  test('fields:update refuses a rename, a primary-key change and a change to password', async () => {
    await expect(manager.updateField(app.em(), 'products', 'qty', { name: 'quantity' })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/cannot be renamed/) });
    await expect(manager.updateField(app.em(), 'products', 'id', { type: 'string' })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/primary key/) });
    await expect(manager.updateField(app.em(), 'products', 'qty', { type: 'password' })).rejects.toMatchObject({ code: 400 });
    await expect(manager.updateField(app.em(), 'products', 'missing', { title: 'x' })).rejects.toMatchObject({ code: 404 });
  });

  test('a failing DDL leaves metadata and table unchanged (one transaction)', async () => {
    await app.client.query(`insert into "${app.schema}"."products" (id, title) values (2, 'not a number')`);
    const before = await columnTypes(app, 'products');
    const metaBefore = collectionToJson(manager.require('products'));
    await expect(manager.updateField(app.em(), 'products', 'title', { type: 'integer' })).rejects.toMatchObject({ code: 400, type: 'CB_ERR_VALIDATION' });
    expect(await columnTypes(app, 'products')).toEqual(before);
    expect(collectionToJson(manager.require('products'))).toEqual(metaBefore);
    const reloaded = new CollectionManager({ schema: app.schema, ids: app.ids });
    await reloaded.load(app.em());
    expect(collectionToJson(reloaded.require('products'))).toEqual(metaBefore);

    // allowNull false over existing nulls fails in PostgreSQL after the metadata row was written: both roll back.
    await expect(manager.addField(app.em(), 'products', { name: 'required', type: 'string', allowNull: false })).rejects.toMatchObject({ code: 400 });
    expect(await columnTypes(app, 'products')).toEqual(before);
    await reloaded.load(app.em());
    expect(reloaded.require('products').fields.has('required')).toBe(false);
    await app.client.query(`delete from "${app.schema}"."products"`);
  });

  test('fields:destroy drops the column; the primary key cannot be removed', async () => {
    await expect(manager.removeField(app.em(), 'products', 'sku')).resolves.toBe(true);
    expect(await columnTypes(app, 'products')).not.toHaveProperty('sku');
    expect(manager.require('products').fields.has('sku')).toBe(false);
    await expect(manager.removeField(app.em(), 'products', 'id')).rejects.toMatchObject({ code: 400 });
    await expect(manager.removeField(app.em(), 'products', 'sku')).rejects.toMatchObject({ code: 404 });
  });

  test('removing updatedAt turns the timestamp off', async () => {
    await manager.removeField(app.em(), 'all_types', 'p');
    await manager.create(app.em(), { name: 'stamped', fields: [] });
    await manager.removeField(app.em(), 'stamped', 'updatedAt');
    expect(manager.require('stamped').timestamps).toEqual({ createdAt: true, updatedAt: false });
  });

  test('belongsTo adds an indexed foreign-key column referencing the target; hasMany needs it on the target', async () => {
    await manager.create(app.em(), { name: 'authors', fields: [{ name: 'name', type: 'string' }] });
    await expect(manager.addField(app.em(), 'authors', { name: 'posts', type: 'hasMany', target: 'posts' })).rejects.toMatchObject({
      code: 400,
      message: expect.stringMatching(/target collection "posts" does not exist/),
    });
    const posts = await manager.create(app.em(), {
      name: 'posts',
      fields: [{ name: 'title', type: 'string' }, { name: 'author', type: 'belongsTo', target: 'authors' }],
    });
    expect(posts.fields.get('author')).toMatchObject({ type: 'belongsTo', target: 'authors', foreignKey: 'authorId', targetKey: 'id' });
    expect(posts.fields.get('authorId')).toMatchObject({ type: 'bigInt', isForeignKey: true });
    expect((await columnTypes(app, 'posts')).authorId).toBe('bigint');
    const { rows: fks } = await app.client.query(
      `select confrelid::regclass::text as target from pg_constraint where conrelid = $1::regclass and contype = 'f'`,
      [`"${app.schema}"."posts"`],
    );
    expect(fks).toEqual([{ target: `${app.schema}.authors` }]);
    const { rows: indexes } = await app.client.query(`select indexdef from pg_indexes where schemaname = $1 and tablename = 'posts'`, [app.schema]);
    expect(indexes.some((r: { indexdef: string }) => r.indexdef.includes('("authorId")'))).toBe(true);

    await expect(manager.addField(app.em(), 'authors', { name: 'posts', type: 'hasMany', target: 'posts' })).rejects.toMatchObject({
      message: expect.stringMatching(/has no field "authorsId"/),
    });
    const hasMany = await manager.addField(app.em(), 'authors', { name: 'posts', type: 'hasMany', target: 'posts', foreignKey: 'authorId' });
    expect(hasMany).toMatchObject({ type: 'hasMany', target: 'posts', foreignKey: 'authorId', sourceKey: 'id' });
    expect(Object.keys(await columnTypes(app, 'authors')).sort()).toEqual(['createdAt', 'id', 'name', 'updatedAt']);

    await expect(manager.removeField(app.em(), 'posts', 'author')).rejects.toMatchObject({ message: expect.stringMatching(/used by authors.posts/) });
    await manager.removeField(app.em(), 'authors', 'posts');
    await manager.removeField(app.em(), 'posts', 'author');
    expect(await columnTypes(app, 'posts')).not.toHaveProperty('authorId');
    expect(manager.require('posts').fields.has('authorId')).toBe(false);
  });

  test('a self-referencing belongsTo works in collections:create', async () => {
    const meta = await manager.create(app.em(), { name: 'tree', fields: [{ name: 'parent', type: 'belongsTo', target: 'tree' }] });
    expect(meta.fields.get('parentId')).toMatchObject({ isForeignKey: true });
    await app.client.query(`insert into "${app.schema}"."tree" (id) values (1)`);
    await app.client.query(`insert into "${app.schema}"."tree" (id, "parentId") values (2, 1)`);
  });

  test('collections:update changes the title only; structure flags are refused', async () => {
    const meta = await manager.update(app.em(), 'products', { title: 'Goods', description: 'things we sell' });
    expect(meta.title).toBe('Goods');
    expect(collectionToJson(meta)).toMatchObject({ title: 'Goods', description: 'things we sell' });
    await expect(manager.update(app.em(), 'products', { createdAt: false })).rejects.toMatchObject({ code: 400 });
    await expect(manager.update(app.em(), 'missing', { title: 'x' })).rejects.toMatchObject({ code: 404 });
  });

  test('collections:destroy drops the table; destroying again answers 0', async () => {
    await expect(manager.destroy(app.em(), 'stamped')).resolves.toBe(1);
    const { rows } = await app.client.query(`select to_regclass($1) as t`, [`"${app.schema}"."stamped"`]);
    expect(rows[0].t).toBeNull();
    expect(manager.get('stamped')).toBeUndefined();
    await expect(manager.destroy(app.em(), 'stamped')).resolves.toBe(0);
    const fields = await app.client.query(`select count(*)::int as n from "${app.schema}"."cb_fields" where collection_name = 'stamped'`);
    expect(fields.rows[0].n).toBe(0);
  });

  test('fields:update adds and drops UNIQUE and NOT NULL', async () => {
    const constraints = async () =>
      (await app.client.query(`select conname from pg_constraint where conrelid = $1::regclass and contype = 'u'`, [`"${app.schema}"."products"`])).rows.map(
        (r: { conname: string }) => r.conname,
      );
    const nullable = async () =>
      (await app.client.query(`select is_nullable from information_schema.columns where table_schema = $1 and table_name = 'products' and column_name = 'qty'`, [app.schema])).rows[0]
        .is_nullable;
    await manager.updateField(app.em(), 'products', 'qty', { unique: true, allowNull: false });
    expect(await constraints()).toEqual(['products_qty_key']);
    expect(await nullable()).toBe('NO');
    await manager.updateField(app.em(), 'products', 'qty', { unique: false, allowNull: true });
    expect(await constraints()).toEqual([]);
    expect(await nullable()).toBe('YES');
  });

  test('two nodes adding the same field at once without a lock: one wins, the other gets a 400', async () => {
    const a = new CollectionManager({ schema: app.schema, ids: app.ids });
    const b = new CollectionManager({ schema: app.schema, ids: app.ids });
    await Promise.all([a.load(app.em()), b.load(app.em())]);
    const results = await Promise.allSettled([a.addField(app.em(), 'products', { name: 'race', type: 'string' }), b.addField(app.em(), 'products', { name: 'race', type: 'text' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 400 });
    const { rows } = await app.client.query(`select count(*)::int as n from "${app.schema}"."cb_fields" where collection_name = 'products' and name = 'race'`);
    expect(rows[0].n).toBe(1);
    await a.removeField(app.em(), 'products', 'race');
  });

  test('a table already in the schema without metadata is a 400 and no metadata is written', async () => {
    await app.client.query(`create table "${app.schema}"."squatter" (x int)`);
    await expect(manager.create(app.em(), { name: 'squatter' })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/already exists/) });
    const { rows } = await app.client.query(`select count(*)::int as n from "${app.schema}"."cb_collections" where name = 'squatter'`);
    expect(rows[0].n).toBe(0);
  });
});
