import { waitForTask } from '../integration/tasks/support';
import { sql, startAbuseNode, type AbuseNode } from './support';

/**
 * Item 10 (CSV): a header cell is as much attacker text as a value (a column title like
 * `=HYPERLINK(…)`), and a value that really starts with `'` must survive an export → import round trip.
 */
describe('abuse: CSV formula injection', () => {
  let n: AbuseNode;
  const columns = [{ dataIndex: ['title'], defaultTitle: '=HYPERLINK("http://evil","x")' }];

  beforeAll(async () => {
    n = await startAbuseNode();
    expect((await n.api.call('POST', 'collections:create', { name: 'notes', fields: [{ name: 'title', type: 'string' }] }, n.admin)).status).toBe(200);
    for (const title of ["'quoted", "'=already", '=1+1', 'plain']) await n.api.call('POST', 'notes:create', { title }, n.admin);
  });

  afterAll(async () => {
    await n?.stop();
  });

  test('header and value cells that look like formulas are neutralized; an import gives back the exact values', async () => {
    const res = await n.api.raw('POST', 'notes:export?format=csv&sort=id', { columns }, n.admin);
    expect(res.status).toBe(200);
    const lines = res.bytes.toString('utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines[0]).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(lines.slice(1)).toEqual(["''quoted", "''=already", "'=1+1", 'plain']);

    await sql(`delete from "${n.schema}"."notes"`);
    const imported = await n.api.upload('notes:importCsv', res.bytes, 'notes.csv', { columns: JSON.stringify(columns) }, n.admin);
    expect(imported.status).toBe(202);
    expect((await waitForTask(n.api, imported.body.data.id, n.admin)).result).toMatchObject({ inserted: 4, rejected: 0 });
    expect((await sql(`select title from "${n.schema}"."notes" order by title`)).map((r) => r.title).sort()).toEqual(["'=already", "'quoted", '=1+1', 'plain'].sort());
  });
});
