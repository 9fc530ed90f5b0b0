import { CollectionManager, RecordRepository } from '../../index';
import { openTestApp, type TestApp } from './setup';

/** Nested writes run one statement per relation and level, whatever the number of records (no N+1). */
describe('nested writes are batched', () => {
  let app: TestApp;
  let manager: CollectionManager;
  let repo: RecordRepository;

  /** Counts the statements a write sends (every runSql goes through the executor's executeQuery). */
  const statements = async (write: () => Promise<unknown>): Promise<number> => {
    const client = app.em().getConnection().getClient() as unknown as object;
    let proto = Object.getPrototypeOf(client) as Record<string, unknown>;
    while (proto && !Object.prototype.hasOwnProperty.call(proto, 'executeQuery')) proto = Object.getPrototypeOf(proto) as Record<string, unknown>;
    const spy = jest.spyOn(proto as { executeQuery: (...a: unknown[]) => unknown }, 'executeQuery');
    try {
      await write();
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  };

  beforeAll(async () => {
    app = await openTestApp('nestedbatch');
    manager = new CollectionManager({ schema: app.schema, ids: app.ids });
    await manager.load(app.em());
    repo = new RecordRepository({ collections: manager, ids: app.ids, onWrite: async () => undefined });
    await manager.create(app.em(), { name: 'authors', fields: [{ name: 'name', type: 'string' }] });
    await manager.create(app.em(), { name: 'tags', fields: [{ name: 'name', type: 'string' }] });
    await manager.create(app.em(), { name: 'posts', fields: [{ name: 'title', type: 'string' }, { name: 'author', type: 'belongsTo', target: 'authors' }, { name: 'tags', type: 'belongsToMany', target: 'tags' }] });
    await manager.create(app.em(), { name: 'comments', fields: [{ name: 'body', type: 'string' }, { name: 'post', type: 'belongsTo', target: 'posts' }, { name: 'writer', type: 'belongsTo', target: 'authors' }] });
    await manager.addField(app.em(), 'posts', { name: 'comments', type: 'hasMany', target: 'comments', foreignKey: 'postId' });
  });

  afterAll(async () => {
    await app?.close();
  });

  const posts = async (n: number, perPost: number) => {
    const tags = (await repo.create(app.em(), 'tags', Array.from({ length: perPost }, (_, i) => ({ name: `t${n}-${i}` })))).map((t) => t.id);
    return Array.from({ length: n }, (_, p) => ({
      title: `p${p}`,
      author: { name: `a${p}` },
      tags: [...tags, { name: `new${p}` }],
      comments: Array.from({ length: perPost }, (_, c) => ({ body: `c${c}`, writer: { name: `w${p}-${c}` } })),
    }));
  };

  test('a create with nested records sends as many statements for 20 records as for 1', async () => {
    const small = await posts(1, 1);
    const large = await posts(20, 10);
    const one = await statements(() => repo.create(app.em(), 'posts', small));
    const many = await statements(() => repo.create(app.em(), 'posts', large));
    expect(one).toBeGreaterThan(5);
    expect(many).toBe(one);
    const rows = await app.client.query(`select count(*)::int as n from "${app.schema}"."comments"`);
    expect(rows.rows[0].n).toBe(1 + 200);
  });

  test('an update replacing sets sends as many statements for 50 related records as for 2', async () => {
    const [post] = await repo.create(app.em(), 'posts', await posts(1, 2));
    const few = await statements(() => repo.updateByPk(app.em(), 'posts', post!.id, { comments: [{ body: 'x' }, { body: 'y' }], tags: [{ name: 'u1' }, { name: 'u2' }] }));
    const lots = Array.from({ length: 50 }, (_, i) => ({ body: `z${i}` }));
    const more = await statements(() => repo.updateByPk(app.em(), 'posts', post!.id, { comments: lots, tags: lots.map((l) => ({ name: l.body })) }));
    expect(few).toBeGreaterThan(5);
    expect(more).toBe(few);
  });
});
