import { waitForTask } from '../integration/tasks/support';
import { sql, startAbuseNode, type AbuseNode } from './support';

/**
 * Item 5: a member set `id`, `createdAt` and `updatedAt` on writes. 15,000 pre-claimed future
 * snowflake IDs made every later insert a 409 and audit times could be forged. Generated primary keys,
 * timestamps and createdBy/updatedBy are server-managed on every write path (create, update,
 * updateOrCreate, firstOrCreate, import): given values are ignored. Collections that declare their own
 * key (a primary-key field, or a snowflakeId key with autoFill false) still take it.
 */
describe('abuse: server-managed fields', () => {
  let n: AbuseNode;
  let memberId: number;
  const FORGED = '2001-02-03T04:05:06.000Z';
  /** Far in the future of the snowflake clock, below 2^53. */
  const futureId = (i: number) => 9_000_000_000_000_000 + i;

  beforeAll(async () => {
    n = await startAbuseNode();
    const created = await n.api.call('POST', 'collections:create', { name: 'notes', createdBy: true, updatedBy: true, fields: [{ name: 'title', type: 'string', unique: true }] }, n.admin);
    expect(created.status).toBe(200);
    memberId = Number((await sql(`select id from "${n.schema}"."users" where username = 'mallory'`))[0].id);
  });

  afterAll(async () => {
    await n?.stop();
  });

  const row = async (title: string) => (await sql(`select id::text as id, "createdAt", "updatedAt", "createdById"::text as "createdById", "updatedById"::text as "updatedById" from "${n.schema}"."notes" where title = $1`, [title]))[0];
  const forged = (title: string, i: number) => ({ title, id: futureId(i), createdAt: FORGED, updatedAt: FORGED, createdById: 1, updatedById: 1 });

  test('create ignores a given id, timestamps and createdBy; pre-claimed IDs cannot block later inserts', async () => {
    const claim = await n.api.call('POST', 'notes:create', Array.from({ length: 200 }, (_, i) => forged(`claim-${i}`, i)), n.member);
    expect(claim.status).toBe(200);
    const stored = await row('claim-0');
    expect(stored.id).not.toBe(String(futureId(0)));
    expect(Number(stored.id)).toBeLessThan(futureId(0));
    expect(new Date(stored.createdAt).getFullYear()).toBeGreaterThan(2001);
    expect(new Date(stored.updatedAt).getFullYear()).toBeGreaterThan(2001);
    expect(stored.createdById).toBe(String(memberId));
    const { c } = (await sql(`select count(*)::int as c from "${n.schema}"."notes" where id >= $1`, [futureId(0)]))[0];
    expect(c).toBe(0);
    // A normal insert afterwards gets a fresh ID (no 409).
    expect((await n.api.call('POST', 'notes:create', { title: 'after' }, n.admin)).status).toBe(200);
  });

  test('update leaves createdAt and the key alone, stamps updatedAt and updatedBy itself', async () => {
    await n.api.call('POST', 'notes:create', { title: 'upd' }, n.admin);
    const before = await row('upd');
    const res = await n.api.call('POST', `notes:update?filterByTk=${before.id}`, { title: 'upd', ...{ id: futureId(9999), createdAt: FORGED, updatedAt: FORGED, updatedById: 1 } }, n.member);
    expect(res.status).toBe(200);
    const after = await row('upd');
    expect(after.id).toBe(before.id);
    expect(new Date(after.createdAt).getTime()).toBe(new Date(before.createdAt).getTime());
    expect(new Date(after.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(before.updatedAt).getTime());
    expect(after.updatedById).toBe(String(memberId));
    const byFilter = await n.api.call('POST', `notes:update?filter=${encodeURIComponent(JSON.stringify({ title: 'upd' }))}`, { createdAt: FORGED }, n.member);
    expect(byFilter.status).toBe(400);
    expect(new Date((await row('upd')).createdAt).getTime()).toBe(new Date(before.createdAt).getTime());
  });

  test('updateOrCreate and firstOrCreate ignore them too', async () => {
    const a = await n.api.call('POST', 'notes:updateOrCreate?filterKeys[]=title', forged('uoc', 1), n.member);
    expect(a.status).toBe(200);
    const b = await n.api.call('POST', 'notes:firstOrCreate?filterKeys[]=title', forged('foc', 2), n.member);
    expect(b.status).toBe(200);
    for (const title of ['uoc', 'foc']) {
      const r = await row(title);
      expect(Number(r.id)).toBeLessThan(futureId(0));
      expect(new Date(r.createdAt).getFullYear()).toBeGreaterThan(2001);
      expect(r.createdById).toBe(String(memberId));
    }
  });

  test('an import ignores id and timestamp columns', async () => {
    const csv = `title,id,createdAt\r\nimp-1,${futureId(50)},${FORGED}\r\nimp-2,${futureId(51)},${FORGED}\r\n`;
    const columns = [{ dataIndex: ['title'] }, { dataIndex: ['id'] }, { dataIndex: ['createdAt'] }];
    const res = await n.api.upload('notes:importCsv', Buffer.from(csv), 'notes.csv', { columns: JSON.stringify(columns) }, n.admin);
    expect(res.status).toBe(202);
    expect((await waitForTask(n.api, res.body.data.id, n.admin)).result).toMatchObject({ inserted: 2, rejected: 0 });
    for (const title of ['imp-1', 'imp-2']) {
      const r = await row(title);
      expect(Number(r.id)).toBeLessThan(futureId(0));
      expect(new Date(r.createdAt).getFullYear()).toBeGreaterThan(2001);
    }
  });

  test('a collection that declares its key takes the given one', async () => {
    expect((await n.api.call('POST', 'collections:create', { name: 'codes', fields: [{ name: 'code', type: 'string', primaryKey: true }, { name: 'label', type: 'string' }] }, n.admin)).status).toBe(200);
    expect((await n.api.call('POST', 'codes:create', { code: 'EUR', label: 'Euro' }, n.member)).body.data).toMatchObject({ code: 'EUR' });
    expect((await n.api.call('POST', 'collections:create', { name: 'given', autoGenId: false, fields: [{ name: 'id', type: 'snowflakeId', primaryKey: true, autoFill: false }, { name: 'label', type: 'string' }] }, n.admin)).status).toBe(200);
    expect((await n.api.call('POST', 'given:create', { id: 4242, label: 'x' }, n.member)).body.data).toMatchObject({ id: 4242 });
  });
});
