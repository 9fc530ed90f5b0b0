import { connect, type Socket } from 'node:net';
import { sql, startAbuseNode, type AbuseNode } from './support';

/**
 * Item 1: ten inline CSV exports opened by a member and never read held every pool connection
 * `idle in transaction`, so every other request timed out, and slowloris connections stayed open
 * forever. Inline exports are now written to a file from a short transaction before they are sent, a
 * user has a bounded number open at once, a file answer has a write deadline, and the gateway closes
 * connections that send their request too slowly.
 */
describe('abuse: slow readers and slow senders', () => {
  let n: AbuseNode;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Three pool connections: three exports holding one each would starve every other request.
    n = await startAbuseNode({ DB_POOL_MAX: '3', REQUEST_TIMEOUT: '3', HTTP_WRITE_TIMEOUT: '4', HTTP_HEADERS_TIMEOUT: '1', HTTP_REQUEST_TIMEOUT: '2', HTTP_CONNECTION_TIMEOUT: '3', HTTP_KEEP_ALIVE_TIMEOUT: '1', EXPORT_MAX_CONCURRENT_PER_USER: '3' });
    port = Number(new URL(n.node.api).port);
    expect((await n.api.call('POST', 'collections:create', { name: 'notes', fields: [{ name: 'title', type: 'string' }, { name: 'body', type: 'text' }] }, n.admin)).status).toBe(200);
    // ~30 MB of CSV: far more than the socket buffers a reader that never reads can absorb.
    await sql(`insert into "${n.schema}"."notes" (id, title, body, "createdAt", "updatedAt") select g, 'n' || g, repeat('x', 15000), now(), now() from generate_series(1, 2000) g`);
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await n?.stop();
  });

  /** A raw HTTP request whose answer is never read (the socket stays paused). */
  function neverRead(path: string, body: unknown, token: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        const text = JSON.stringify(body);
        s.write(`POST /api/${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
        resolve(s);
      });
      s.once('error', reject);
      s.pause();
      sockets.push(s);
    });
  }
  /** Whether the server closed `s` within the time (the socket is read meanwhile, so its end is seen). */
  const closed = (s: Socket, withinMs: number) =>
    new Promise<boolean>((resolve) => {
      s.resume();
      if (s.destroyed || s.readyState === 'closed') return resolve(true);
      const timer = setTimeout(() => resolve(false), withinMs);
      s.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  const columns = [{ dataIndex: ['title'] }, { dataIndex: ['body'] }];

  test('exports that are never read hold no pool connection, are capped per user, and are cut at the write deadline', async () => {
    const slow = [
      await neverRead('notes:export?format=csv', { columns }, n.member),
      await neverRead('notes:export?format=csv', { columns }, n.member),
      await neverRead('notes:export?format=xlsx', { columns }, n.member),
    ];
    // Give the node time to start answering all three.
    await new Promise((r) => setTimeout(r, 1000));
    // Every other request still gets a connection.
    const others = await Promise.all(Array.from({ length: 6 }, () => n.api.call('GET', 'notes:count', undefined, n.admin)));
    expect(others.map((r) => r.status)).toEqual(Array(6).fill(200));
    const readiness = await fetch(`${n.node.management}/readyz`);
    expect(readiness.status).toBe(200);
    // A fourth export of the same member while three are open: 429.
    const fourth = await n.api.raw('POST', 'notes:export?format=csv', { columns }, n.member);
    expect(fourth.status).toBe(429);
    // The write deadline (4 s) disconnects the readers that never read: reading now, each gets a
    // cut-off answer and the end of the connection.
    await new Promise((r) => setTimeout(r, 5000));
    const received = slow.map((s) => {
      let bytes = 0;
      s.on('data', (chunk: Buffer) => (bytes += chunk.length));
      return () => bytes;
    });
    for (const s of slow) expect(await closed(s, 8000)).toBe(true);
    // Their slots are free again; a whole answer is far larger than what the slow readers got.
    const again = await n.api.raw('POST', 'notes:export?format=csv', { columns }, n.member);
    expect(again.status).toBe(200);
    expect(again.bytes.length).toBeGreaterThan(30_000_000);
    for (const got of received) expect(got()).toBeLessThan(again.bytes.length);
  });

  test('a slowloris connection (headers one byte at a time) and an idle one are closed', async () => {
    const loris = connect(port, '127.0.0.1');
    sockets.push(loris);
    loris.on('error', () => undefined);
    await new Promise((r) => loris.once('connect', r));
    loris.write('GET /api/app:getInfo HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => !loris.destroyed && loris.write('X'), 200);
    const idle = connect(port, '127.0.0.1');
    idle.on('error', () => undefined);
    sockets.push(idle);
    try {
      expect(await closed(loris, 6000)).toBe(true);
      expect(await closed(idle, 6000)).toBe(true);
    } finally {
      clearInterval(drip);
    }
  });
});
