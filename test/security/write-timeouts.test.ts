import pg from 'pg';
import { loadConfig } from '../../shared/config';
import { testDatabaseUrl } from '../support/database';
import { sql, startAbuseNode, type AbuseNode } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Item 6: a create of 1,200 records with a password field answered 504 after the gateway's timeout and
 * all rows appeared seconds later (a retry duplicated them), one scrypt hash per record, no cap. Now
 * the request's own deadline, a margin before the gateway's timeout, stops the work (between hashes,
 * and PostgreSQL's statement / idle-in-transaction timeouts on its transaction): a 504 means nothing
 * was committed. Records per write and passwords per write are capped.
 */
describe('abuse: timed-out and oversized writes', () => {
  let n: AbuseNode;
  const count = async (where = 'true') => Number((await sql(`select count(*)::int as c from "${n.schema}"."accounts" where ${where}`))[0].c);
  const accounts = (k: number, prefix: string, withSecret = true) => Array.from({ length: k }, (_, i) => ({ name: `${prefix}-${i}`, ...(withSecret ? { secret: `pw-${i}-long-enough` } : {}) }));

  beforeAll(async () => {
    n = await startAbuseNode({ REQUEST_TIMEOUT: '2', DATA_MAX_PASSWORD_HASHES: '200', DATA_MAX_RECORDS_PER_WRITE: '300' });
    const res = await n.api.call('POST', 'collections:create', { name: 'accounts', fields: [{ name: 'name', type: 'string' }, { name: 'secret', type: 'password' }] }, n.admin);
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await n?.stop();
  });

  test('a create that outlives the timeout answers 504, and its rows never appear', async () => {
    // What 5 hashed records cost here, to know how long the 150 would have taken without the deadline.
    const started = Date.now();
    expect((await n.api.call('POST', 'accounts:create', accounts(5, 'probe'), n.member)).status).toBe(200);
    const perRecord = (Date.now() - started) / 5;
    const res = await n.api.call('POST', 'accounts:create', accounts(150, 'slow'), n.member);
    expect(res.status).toBe(504);
    // Past the time the abandoned work would have needed to commit: still nothing.
    await sleep(Math.max(0, 150 * perRecord * 1.5 - 2000) + 1000);
    expect(await count(`name like 'slow-%'`)).toBe(0);
  });

  test('a write blocked on a lock past the timeout is stopped by PostgreSQL and never commits', async () => {
    const locker = new pg.Client({ connectionString: testDatabaseUrl() });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(`lock table "${n.schema}"."accounts" in share row exclusive mode`);
      const res = await n.api.call('POST', 'accounts:create', { name: 'blocked' }, n.member);
      expect(res.status).toBe(504);
      await locker.query('commit');
    } finally {
      await locker.end();
    }
    // The abandoned insert would run as soon as the lock is gone.
    await sleep(500);
    expect(await count(`name = 'blocked'`)).toBe(0);
    expect((await n.api.call('POST', 'accounts:create', { name: 'after' }, n.member)).status).toBe(200);
  });

  test('more records or passwords per write than allowed are a 400 naming the setting, nothing written', async () => {
    const before = await count();
    const many = await n.api.call('POST', 'accounts:create', accounts(301, 'many', false), n.member);
    expect(many.status).toBe(400);
    expect(many.body.errors?.[0]?.message).toMatch(/DATA_MAX_RECORDS_PER_WRITE/);
    const hashes = await n.api.call('POST', 'accounts:create', accounts(201, 'hash'), n.member);
    expect(hashes.status).toBe(400);
    expect(hashes.body.errors?.[0]?.message).toMatch(/DATA_MAX_PASSWORD_HASHES/);
    expect(await count()).toBe(before);
  });

  test.each(['DATA_MAX_RECORDS_PER_WRITE', 'DATA_MAX_PASSWORD_HASHES'])('a bad %s refuses the start, naming it', (name) => {
    expect(() => loadConfig({ [name]: '0' })).toThrow(new RegExp(name));
    expect(() => loadConfig({ [name]: 'lots' })).toThrow(new RegExp(name));
  });
});
