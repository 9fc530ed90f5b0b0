import { sql, startAbuseNode, type AbuseNode } from './support';

/**
 * Item 2 (multipart text fields): the gateway read up to ~1 GB of multipart text fields per request
 * (100 fields of the body limit each). All text fields of one request together are now bounded by
 * HTTP_BODY_LIMIT: more is a 413 and nothing is queued.
 */
describe('abuse: multipart text fields', () => {
  let n: AbuseNode;

  beforeAll(async () => {
    n = await startAbuseNode({ HTTP_BODY_LIMIT: '64kb' });
    expect((await n.api.call('POST', 'collections:create', { name: 'notes', fields: [{ name: 'title', type: 'string' }] }, n.admin)).status).toBe(200);
  });

  afterAll(async () => {
    await n?.stop();
  });

  test('text fields that together pass HTTP_BODY_LIMIT are a 413; no task is queued', async () => {
    const fields: Record<string, string> = { columns: JSON.stringify([{ dataIndex: ['title'] }]) };
    for (let i = 0; i < 4; i++) fields[`pad${i}`] = 'x'.repeat(30 * 1024);
    const res = await n.api.upload('notes:importCsv', Buffer.from('title\r\na\r\n'), 'notes.csv', fields, n.member);
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0]?.code).toBe('CB_ERR_HTTP_BODY_TOO_LARGE');
    expect(Number((await sql(`select count(*)::int as c from "${n.schema}"."asyncTasks"`))[0].c)).toBe(0);
    // Under the limit the same import is accepted.
    const ok = await n.api.upload('notes:importCsv', Buffer.from('title\r\na\r\n'), 'notes.csv', { columns: fields.columns! }, n.member);
    expect(ok.status).toBe(202);
  });
});
