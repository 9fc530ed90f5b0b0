import { randomBytes } from 'node:crypto';
import { ensureDatabase, migrateSchema, openDatabase, type Database } from '../../../db/index.js';
import { dropSchemas, TEST_DATABASE, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database.js';
import { requireServices } from '../../../../test/support/services.js';
import { checkFingerprints, fingerprint, fingerprintMetaKey } from '../../index.js';

describe('key fingerprints kept in the app database', () => {
  const schemas: string[] = [];
  let db: Database;
  const keys = { appKey: 'the-cluster-app-key-0123', aesKey: randomBytes(32) };

  async function freshSchema(): Promise<string> {
    const schema = uniqueSchema('keys');
    schemas.push(schema);
    await migrateSchema(db.orm, schema);
    return schema;
  }

  beforeAll(async () => {
    await requireServices('postgres');
    await ensureDatabase(testDatabaseUrl(), TEST_DATABASE);
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 4, schema: 'public' });
  });

  afterAll(async () => {
    await db.close();
    await dropSchemas(...schemas);
  });

  it('records both fingerprints at the first start and finds no mismatch afterwards', async () => {
    const schema = await freshSchema();
    expect(await checkFingerprints(db.fork(), schema, keys)).toEqual([]);
    const rows = await db.fork().execute(`select "key", "value" from "${schema}"."cb_meta" where "key" like 'key_fingerprint:%' order by "key"`);
    expect(rows).toEqual([
      { key: fingerprintMetaKey('APP_AES_SECRET_KEY'), value: { fingerprint: fingerprint(keys.aesKey, 'APP_AES_SECRET_KEY'), algorithm: 'sha256/16hex/v1' } },
      { key: fingerprintMetaKey('APP_KEY'), value: { fingerprint: fingerprint(keys.appKey, 'APP_KEY'), algorithm: 'sha256/16hex/v1' } },
    ]);
    expect(JSON.stringify(rows)).not.toContain(keys.appKey);
    expect(JSON.stringify(rows)).not.toContain(keys.aesKey.toString('hex'));
    expect(await checkFingerprints(db.fork(), schema, { appKey: Buffer.from(keys.appKey), aesKey: Buffer.from(keys.aesKey) })).toEqual([]);
  });

  it('names the key that differs, with both fingerprints and never a key', async () => {
    const schema = await freshSchema();
    await checkFingerprints(db.fork(), schema, keys);
    const otherAes = randomBytes(32);
    const mismatches = await checkFingerprints(db.fork(), schema, { appKey: keys.appKey, aesKey: otherAes });
    expect(mismatches).toEqual([
      `APP_AES_SECRET_KEY differs from the one this database was first started with (fingerprint ${fingerprint(otherAes, 'APP_AES_SECRET_KEY')} on this node vs ${fingerprint(keys.aesKey, 'APP_AES_SECRET_KEY')} in the database)`,
    ]);
    expect(mismatches.join()).not.toContain(otherAes.toString('hex'));

    const both = await checkFingerprints(db.fork(), schema, { appKey: 'another-app-key-456789', aesKey: otherAes });
    expect(both.map((m) => m.split(' ')[0])).toEqual(['APP_KEY', 'APP_AES_SECRET_KEY']);
  });

  it('nodes starting together with different keys: one set is recorded, the other nodes see a mismatch', async () => {
    const schema = await freshSchema();
    const candidates = [keys, { appKey: keys.appKey, aesKey: randomBytes(32) }, { appKey: keys.appKey, aesKey: randomBytes(32) }];
    const results = await Promise.all(candidates.map((k) => checkFingerprints(db.fork(), schema, k)));
    expect(results.filter((r) => r.length === 0)).toHaveLength(1);
    expect(results.filter((r) => r.length === 1 && r[0]!.startsWith('APP_AES_SECRET_KEY differs'))).toHaveLength(2);
  });

  it('reports a damaged stored fingerprint instead of accepting any key', async () => {
    const schema = await freshSchema();
    await checkFingerprints(db.fork(), schema, keys);
    await db.fork().execute(`update "${schema}"."cb_meta" set "value" = '"garbage"'::jsonb where "key" = ?`, [fingerprintMetaKey('APP_KEY')]);
    expect(await checkFingerprints(db.fork(), schema, keys)).toEqual([expect.stringMatching(/^APP_KEY: the fingerprint stored in .* is missing or unreadable$/)]);
  });
});
