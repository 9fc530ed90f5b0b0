import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { resolveBloomFilter } from '../../../cache/index.js';
import { ensureDatabase, migrateSchema, openDatabase, type Database } from '../../../db/index.js';
import { createSnowflake } from '../../../ids/index.js';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database.js';
import { requireServices, SERVICES } from '../../../../test/support/services.js';
import { AuthService, ensureRootUser, hashPassword, Hs256TokenService, SignInGuard, type SignInGuardOptions } from '../../index.js';

const PASSWORD = 'the-right-password';
const LIMITS = { freeAttempts: 3, maxAttempts: 10, ipMaxAttempts: 1000, windowSec: 600, lockoutSec: 3 };

async function outcome(p: Promise<unknown>): Promise<{ code: number; type?: string; message?: string; data?: { retryAfterSec?: number } }> {
  try {
    await p;
    return { code: 200 };
  } catch (err) {
    return err as never;
  }
}

describe.each(['memory', 'redis'] as const)('sign-in limits (%s counters)', (kind) => {
  const schema = uniqueSchema('signin');
  const prefix = `test-${randomUUID()}`;
  let db: Database;
  const guards: SignInGuard[] = [];
  /** Two nodes: same database, each its own AuthService and guard (one shared guard in memory mode). */
  let nodes: AuthService[];

  beforeAll(async () => {
    await requireServices('postgres', 'redis');
    await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 4, schema });
    await migrateSchema(db.orm, schema);
    const ids = createSnowflake({ workerIds: { current: () => 1, healthy: () => true } });
    await ensureRootUser(db.fork(), schema, { email: 'root@example.com', username: 'root', password: PASSWORD, ids, log: { warn() {}, error() {} }, defaultsUsed: false });
    const options: SignInGuardOptions = kind === 'redis' ? { ...LIMITS, type: 'redis', url: SERVICES.redis.url, prefix } : { ...LIMITS, type: 'memory', prefix };
    for (let i = 0; i < (kind === 'redis' ? 2 : 1); i++) {
      const guard = new SignInGuard(options);
      await guard.connect();
      guards.push(guard);
    }
    const tokens = new Hs256TokenService({ key: `k-${randomUUID()}`, expiresInSec: 3600 });
    const signedOut = resolveBloomFilter({ type: 'memory', name: 'x', expectedItems: 100, falsePositiveRate: 0.01 });
    nodes = [0, 1].map((i) => new AuthService({ schema, tokens, signedOut, guard: guards[i % guards.length]! }));
  });

  afterAll(async () => {
    for (const g of guards) await g.close();
    await db?.close();
    await dropSchemas(schema);
    if (kind === 'redis') {
      const redis = new Redis(SERVICES.redis.url);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.unlink(...keys);
      redis.disconnect();
    }
  });

  const signIn = (node: number, account: string, password: string, ip = '10.0.0.1') => outcome(nodes[node % 2]!.signIn(db.fork(), { account, password, ip }));

  test('30 wrong passwords across two nodes, then the right one is refused with 429 until the lockout ends', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) codes.push((await signIn(i, 'root', `wrong-${i}`)).code);
    // The first free attempts are checked (401); after that the account is blocked and answers 429
    // without looking at the password.
    expect(codes.slice(0, LIMITS.freeAttempts)).toEqual([401, 401, 401]);
    expect(codes).toContain(429);
    expect(codes.filter((c) => c !== 401 && c !== 429)).toEqual([]);
    const refused = await signIn(0, 'root', PASSWORD);
    expect(refused.code).toBe(429);
    expect(refused.type).toBe('CB_ERR_AUTH_TOO_MANY_ATTEMPTS');
    expect(refused.data?.retryAfterSec).toBeGreaterThan(0);
    // Until the block ends, on either node; then the right password works and resets the count.
    for (;;) {
      const attempt = await signIn(1, 'root', PASSWORD);
      if (attempt.code === 200) break;
      expect(attempt.code).toBe(429);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await signIn(0, 'root', 'wrong-again')).code).toBe(401);
  });

  test('growing delays: each failure past the free ones blocks for longer, up to the lockout', async () => {
    const guard = guards[0]!;
    const account = `delay-${randomUUID()}`;
    const waits: number[] = [];
    for (let i = 0; i < LIMITS.maxAttempts; i++) {
      await guard.failed('main', account, undefined);
      const r = await outcome(guard.assertAllowed('main', account, undefined));
      waits.push(r.code === 429 ? r.data!.retryAfterSec! : 0);
    }
    // 3 free, then 1 s, 2 s, then capped by the lockout (3 s here), which the 10th failure sets.
    expect(waits).toEqual([0, 0, 0, 1, 2, 3, 3, 3, 3, 3]);
  });

  test('an unknown account is counted and refused the same way: the answers never tell whether it exists', async () => {
    const ghost = `ghost-${randomUUID()}@example.com`;
    const codes: Array<[number, string | undefined]> = [];
    for (let i = 0; i < 5; i++) {
      const r = await signIn(i, ghost, 'wrong');
      codes.push([r.code, r.type]);
    }
    expect(codes.slice(0, 3)).toEqual(Array(3).fill([401, 'CB_ERR_AUTH_BAD_CREDENTIALS']));
    expect(codes[4]).toEqual([429, 'CB_ERR_AUTH_TOO_MANY_ATTEMPTS']);
  });

  test('a successful sign-in resets the account’s failures', async () => {
    await guards[0]!.succeeded('main', 'root');
    for (let i = 0; i < LIMITS.freeAttempts; i++) expect((await signIn(i, 'root', 'wrong')).code).toBe(401);
    expect((await signIn(0, 'root', PASSWORD)).code).toBe(200);
    for (let i = 0; i < LIMITS.freeAttempts; i++) expect((await signIn(i, 'root', 'wrong')).code).toBe(401);
    expect((await signIn(0, 'root', PASSWORD)).code).toBe(200);
  });

  test('one address failing on many accounts is locked out', async () => {
    const guard = new SignInGuard(kind === 'redis' ? { ...LIMITS, ipMaxAttempts: 5, type: 'redis', url: SERVICES.redis.url, prefix: `${prefix}-ip` } : { ...LIMITS, ipMaxAttempts: 5, type: 'memory', prefix });
    await guard.connect();
    try {
      for (let i = 0; i < 5; i++) await guard.failed('main', `user-${i}`, '10.9.9.9');
      await expect(guard.assertAllowed('main', 'someone-else', '10.9.9.9')).rejects.toMatchObject({ code: 429 });
      await expect(guard.assertAllowed('main', 'someone-else', '10.9.9.8')).resolves.toBeUndefined();
    } finally {
      await guard.close();
    }
  });
});

describe('password hashes', () => {
  const schema = uniqueSchema('rehash');
  let db: Database;

  beforeAll(async () => {
    await requireServices('postgres');
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 2, schema });
    await migrateSchema(db.orm, schema);
  });

  afterAll(async () => {
    await db?.close();
    await dropSchemas(schema);
  });

  test('an old, cheaper hash is replaced by one at N=2^17, r=8, p=1 at the next sign-in', async () => {
    const old = await hashPassword(PASSWORD, { N: 16384, r: 8, p: 1 });
    await db.fork().execute(`insert into "${schema}"."users" ("id", "username", "password", "roles") values (7, 'legacy', ?, '{member}')`, [old]);
    const tokens = new Hs256TokenService({ key: `k-${randomUUID()}`, expiresInSec: 3600 });
    const signedOut = resolveBloomFilter({ type: 'memory', name: 'x', expectedItems: 100, falsePositiveRate: 0.01 });
    const auth = new AuthService({ schema, tokens, signedOut });
    await auth.signIn(db.fork(), { account: 'legacy', password: PASSWORD });
    const [row] = (await db.fork().execute(`select "password" from "${schema}"."users" where "id" = 7`)) as Array<{ password: string }>;
    expect(row!.password).toMatch(/^scrypt\$131072\$8\$1\$/);
    await expect(auth.signIn(db.fork(), { account: 'legacy', password: PASSWORD })).resolves.toMatchObject({ user: { username: 'legacy' } });
  });
});
