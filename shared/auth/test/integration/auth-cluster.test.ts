import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { resolveBloomFilter, type BloomFilter } from '../../../cache/index.js';
import { ensureDatabase, migrateSchema, openDatabase, type Database } from '../../../db/index.js';
import { createSnowflake } from '../../../ids/index.js';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database.js';
import { requireServices, SERVICES } from '../../../../test/support/services.js';
import { AuthService, ensureRootUser, Hs256TokenService, type AuthLogger, type SqlRunner } from '../../index.js';

const APP_KEY = `test-app-key-${randomUUID()}`;
const ROOT = { email: 'admin@nocobase.com', username: 'nocobase', password: 'admin123' };

interface Node {
  readonly db: Database;
  readonly bloom: BloomFilter;
  readonly auth: AuthService;
  readonly ids: { next(): number };
}

function recorder(): AuthLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

type Executor = { executeQuery(query: { sql: string }): Promise<unknown> };

/**
 * An EntityManager wrapper that records the SQL runSql sends through it (at the executor that
 * shared/sql/test/integration/run-sql.test.ts pins).
 */
function counting(em: SqlRunner, seen: string[]): SqlRunner {
  const recording = (executor: unknown): Executor => ({
    executeQuery: (query) => {
      seen.push(query.sql);
      return (executor as Executor).executeQuery(query);
    },
  });
  const wrapped = {
    transactional: em.transactional.bind(em),
    getTransactionContext: () => {
      const tx = em.getTransactionContext();
      return tx === undefined ? undefined : recording(tx);
    },
    getConnection: () => ({ getClient: () => recording(em.getConnection().getClient()) }),
  };
  return wrapped as unknown as SqlRunner;
}

async function rejection(p: Promise<unknown>): Promise<{ code: number; type: string; message: string; data?: { nocobaseCode?: string } }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected a rejection');
}

describe('auth across two nodes sharing PostgreSQL and a Redis Bloom filter', () => {
  const schema = uniqueSchema('auth');
  const prefix = `test-${randomUUID()}`;
  const nodes: Node[] = [];
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
    for (let i = 0; i < 2; i++) {
      const db = await openDatabase({ url: testDatabaseUrl(), poolMax: 4, schema });
      await migrateSchema(db.orm, schema);
      const bloom = resolveBloomFilter({
        type: 'redis-bitmap',
        url: SERVICES.redis.url,
        prefix,
        name: 'signed-out-tokens',
        expectedItems: 10_000,
        falsePositiveRate: 0.001,
      });
      await bloom.connect();
      const tokens = new Hs256TokenService({ key: APP_KEY, expiresInSec: 3600 });
      const auth = new AuthService({ schema, tokens, signedOut: bloom });
      const ids = createSnowflake({ workerIds: { current: () => i, healthy: () => true } });
      nodes.push({ db, bloom, auth, ids });
    }
    [a, b] = nodes as [Node, Node];
  });

  afterAll(async () => {
    for (const node of nodes) {
      await node.bloom.close();
      await node.db.close();
    }
    await dropSchemas(schema);
    const redis = new Redis(SERVICES.redis.url);
    try {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.unlink(...keys);
    } finally {
      redis.disconnect();
    }
  });

  it('creates the root user exactly once when three nodes start together', async () => {
    const log = recorder();
    const results = await Promise.all(
      [a, b, a].map((node) => ensureRootUser(node.db.fork(), schema, { ...ROOT, ids: node.ids, log, defaultsUsed: true })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const id = results.find((r) => r.created)!.id;
    expect(results.map((r) => r.id)).toEqual([id, id, id]);
    const rows = await a.db.fork().execute(`select "id", "username", "email", "nickname", "roles", "password" from "${schema}"."users"`);
    expect(rows).toEqual([
      { id, username: 'nocobase', email: 'admin@nocobase.com', nickname: 'Super Admin', roles: ['root'], password: expect.stringMatching(/^scrypt\$131072\$8\$1\$/) },
    ]);
    expect(log.lines).toEqual([expect.stringMatching(/^warn Created the root user .* DEFAULT password/)]);
  });

  it('warns at a later start while the root user still has the default password, and only then', async () => {
    const log = recorder();
    const again = await ensureRootUser(b.db.fork(), schema, { ...ROOT, ids: b.ids, log, defaultsUsed: true });
    expect(again.created).toBe(false);
    expect(log.lines).toEqual([expect.stringContaining('still has the default password')]);

    const quiet = recorder();
    await ensureRootUser(b.db.fork(), schema, { ...ROOT, password: 'something-else', ids: b.ids, log: quiet, defaultsUsed: false });
    expect(quiet.lines).toEqual([]);
  });

  it('signs in by email and by username, returning the user without its password', async () => {
    const byEmail = await a.auth.signIn(a.db.fork(), { account: 'admin@nocobase.com', password: 'admin123' });
    const byName = await b.auth.signIn(b.db.fork(), { account: 'nocobase', password: 'admin123' });
    expect(byEmail.user).toEqual({
      id: expect.any(Number),
      username: 'nocobase',
      email: 'admin@nocobase.com',
      nickname: 'Super Admin',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(byName.user.id).toBe(byEmail.user.id);
    expect(byEmail.roles).toEqual(['root']);
    expect(byEmail.token).not.toBe(byName.token);
    expect(Object.keys(byEmail.user)).not.toContain('password');
  });

  it('answers a wrong password and an unknown account with the same 401', async () => {
    const wrong = await rejection(a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'nope' }));
    const unknown = await rejection(a.auth.signIn(a.db.fork(), { account: 'ghost@example.com', password: 'admin123' }));
    for (const err of [wrong, unknown]) {
      expect(err.code).toBe(401);
      expect(err.type).toBe('CB_ERR_AUTH_BAD_CREDENTIALS');
      expect(err.message).toBe('The username/email or password is incorrect, please re-enter');
    }
    const empty = await rejection(a.auth.signIn(a.db.fork(), { account: '', password: 'x' }));
    expect(empty.code).toBe(400);
  });

  it('prefers the user whose email is the account over one whose username is', async () => {
    const em = a.db.fork();
    const other = await a.auth.signIn(em, { account: 'nocobase', password: 'admin123' });
    await em.execute(`insert into "${schema}"."users" ("id", "username", "email", "password") values (?, ?, ?, ?)`, [
      String(a.ids.next()),
      'admin@nocobase.com',
      'impostor@example.com',
      'scrypt$invalid',
    ]);
    const signed = await a.auth.signIn(a.db.fork(), { account: 'admin@nocobase.com', password: 'admin123' });
    expect(signed.user.id).toBe(other.user.id);
  });

  it('checks a token on either node: the user and roles', async () => {
    const { token, user } = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    for (const node of [a, b]) {
      const checked = await node.auth.check(node.db.fork(), token);
      expect(checked.user).toEqual(user);
      expect(checked.roles).toEqual(['root']);
      expect(checked.claims.sub).toBe(String(user.id));
    }
  });

  it('refuses a missing token with EMPTY_TOKEN and a bad one with INVALID_TOKEN', async () => {
    const missing = await rejection(a.auth.check(a.db.fork(), undefined));
    expect([missing.code, missing.type, missing.message, missing.data?.nocobaseCode]).toEqual([
      401,
      'CB_ERR_AUTH_EMPTY_TOKEN',
      'Unauthenticated. Please sign in to continue.',
      'EMPTY_TOKEN',
    ]);
    const bad = await rejection(a.auth.check(a.db.fork(), 'not.a.token'));
    expect([bad.code, bad.type, bad.message, bad.data?.nocobaseCode]).toEqual([
      401,
      'CB_ERR_AUTH_INVALID_TOKEN',
      'Your session has expired. Please sign in again.',
      'INVALID_TOKEN',
    ]);
  });

  it('refuses a token of another app and one signed with another APP_KEY', async () => {
    const other = new AuthService({ schema, app: 'shop', tokens: new Hs256TokenService({ key: APP_KEY, expiresInSec: 60 }), signedOut: a.bloom });
    const { token } = await other.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    expect((await rejection(a.auth.check(a.db.fork(), token))).data?.nocobaseCode).toBe('INVALID_TOKEN');

    const foreign = new Hs256TokenService({ key: 'a-different-app-key-123', expiresInSec: 60 }).sign('1', 'main').token;
    expect((await rejection(a.auth.check(a.db.fork(), foreign))).data?.nocobaseCode).toBe('INVALID_TOKEN');
  });

  it('a token signed out on node A is refused on node B, other tokens of the user still work', async () => {
    const first = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    const second = await b.auth.signIn(b.db.fork(), { account: 'nocobase', password: 'admin123' });
    await a.auth.signOut(a.db.fork(), first.token);

    for (const node of [a, b]) {
      const err = await rejection(node.auth.check(node.db.fork(), first.token));
      expect([err.code, err.data?.nocobaseCode]).toEqual([401, 'INVALID_TOKEN']);
      await expect(node.auth.check(node.db.fork(), second.token)).resolves.toMatchObject({ roles: ['root'] });
    }
    await expect(b.bloom.mightContain((await b.auth.check(b.db.fork(), second.token)).claims.jti)).resolves.toBe(false);
  });

  it('reads the blacklist table only on a Bloom filter hit', async () => {
    const kept = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    const dropped = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    await b.auth.signOut(b.db.fork(), dropped.token);

    const seenKept: string[] = [];
    await b.auth.check(counting(b.db.fork(), seenKept), kept.token);
    expect(seenKept.filter((sql) => sql.includes('cb_signed_out_tokens'))).toEqual([]);

    const seenDropped: string[] = [];
    await rejection(b.auth.check(counting(b.db.fork(), seenDropped), dropped.token));
    expect(seenDropped.filter((sql) => sql.includes('cb_signed_out_tokens'))).toHaveLength(1);
  });

  it('signing out twice succeeds; signing out needs a valid token', async () => {
    const { token } = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    await a.auth.signOut(a.db.fork(), token);
    await expect(b.auth.signOut(b.db.fork(), token)).resolves.toBeUndefined();
    expect((await rejection(a.auth.signOut(a.db.fork(), ''))).data?.nocobaseCode).toBe('EMPTY_TOKEN');
    expect((await rejection(a.auth.signOut(a.db.fork(), 'x.y.z'))).data?.nocobaseCode).toBe('INVALID_TOKEN');
  });

  it('falls back to the table when the Bloom filter is unreachable, and refuses to sign out then', async () => {
    const broken: BloomFilter = {
      kind: 'redis-bitmap',
      add: () => Promise.reject(new Error('connection refused')),
      mightContain: () => Promise.reject(new Error('connection refused')),
      connect: async () => {},
      close: async () => {},
    };
    const log = recorder();
    const degraded = new AuthService({ schema, tokens: new Hs256TokenService({ key: APP_KEY, expiresInSec: 60 }), signedOut: broken, log });
    const { token } = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    await a.auth.signOut(a.db.fork(), token);
    expect((await rejection(degraded.check(a.db.fork(), token))).data?.nocobaseCode).toBe('INVALID_TOKEN');
    expect(log.lines[0]).toMatch(/^warn The signed-out token filter is unreachable/);

    const live = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    const err = await rejection(degraded.signOut(a.db.fork(), live.token));
    expect([err.code, err.type]).toEqual([503, 'CB_ERR_SERVICE_UNAVAILABLE']);
    await expect(a.auth.check(a.db.fork(), live.token)).resolves.toBeDefined();
  });

  it('refills an emptied filter from the table, and prunes rows of expired tokens', async () => {
    const { token } = await a.auth.signIn(a.db.fork(), { account: 'nocobase', password: 'admin123' });
    await a.auth.signOut(a.db.fork(), token);
    const fresh = resolveBloomFilter({ type: 'memory', name: 'fresh', expectedItems: 1000, falsePositiveRate: 0.001 });
    await fresh.connect();
    const restarted = new AuthService({ schema, tokens: new Hs256TokenService({ key: APP_KEY, expiresInSec: 60 }), signedOut: fresh });
    await expect(restarted.check(a.db.fork(), token)).resolves.toBeDefined(); // the filter lost its content
    const signedOutSoFar = await a.db.fork().execute(`select count(*)::int as n from "${schema}"."cb_signed_out_tokens"`);
    expect(await restarted.refillSignedOutFilter(a.db.fork(), 2)).toBe(signedOutSoFar[0].n);
    expect((await rejection(restarted.check(a.db.fork(), token))).data?.nocobaseCode).toBe('INVALID_TOKEN');

    const em = a.db.fork();
    await em.execute(`insert into "${schema}"."cb_signed_out_tokens" ("jti", "expires_at") values ('old', now() - interval '1 hour')`);
    expect(await a.auth.pruneSignedOut(em, 60)).toBe(1);
    expect(await em.execute(`select 1 from "${schema}"."cb_signed_out_tokens" where "jti" = 'old'`)).toEqual([]);
  });

  it('refuses the token of a deleted user', async () => {
    const em = a.db.fork();
    await em.execute(`insert into "${schema}"."users" ("id", "username", "password") values (?, 'temp', ?)`, [
      String(a.ids.next()),
      (await em.execute(`select "password" from "${schema}"."users" where "username" = 'nocobase'`))[0].password,
    ]);
    const { token, roles } = await a.auth.signIn(em, { account: 'temp', password: 'admin123' });
    expect(roles).toEqual(['member']);
    await em.execute(`delete from "${schema}"."users" where "username" = 'temp'`);
    expect((await rejection(b.auth.check(b.db.fork(), token))).data?.nocobaseCode).toBe('INVALID_TOKEN');
  });

  it('does not re-create a root user that was deleted after the first start', async () => {
    const em = a.db.fork();
    await em.execute(`delete from "${schema}"."users" where 'root' = any("roles")`);
    const result = await ensureRootUser(em, schema, { ...ROOT, ids: a.ids, log: recorder(), defaultsUsed: false });
    expect(result.created).toBe(false);
    expect(await em.execute(`select 1 from "${schema}"."users" where 'root' = any("roles")`)).toEqual([]);
  });
});
