import { CollectionManager, RecordRepository } from '../../../data';
import { migrateSchema, openDatabase, type Database } from '../../../db';
import { checkFingerprints } from '../../../secrets';
import { reencryptAll } from '../../index';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../../../../test/support/database';
import { requireServices } from '../../../../test/support/services';

describe('re-encrypting every encrypted field under a new AES key', () => {
  const schema = uniqueSchema('re');
  const OLD = Buffer.alloc(32, 1);
  const NEW = Buffer.alloc(32, 2);
  let counter = 1;
  const ids = { next: () => counter++ };
  const log = { info: () => undefined };
  let db: Database;

  beforeAll(async () => {
    await requireServices('postgres');
    db = await openDatabase({ url: testDatabaseUrl(), poolMax: 3, schema });
    await migrateSchema(db.orm, schema);
    await checkFingerprints(db.fork(schema), schema, { appKey: 'app-key-for-the-test', aesKey: OLD });
  });

  afterAll(async () => {
    await db?.close();
    await dropSchemas(schema);
  });

  test('rewrites every value in batches, is safe to run again, and moves the fingerprint to the new key', async () => {
    const collections = new CollectionManager({ schema, ids });
    await collections.load(db.fork(schema));
    await collections.create(db.fork(schema), { name: 'people', fields: [{ name: 'name', type: 'string' }, { name: 'ssn', type: 'encrypted' }] });
    const oldRepo = new RecordRepository({ collections, ids, aesKey: OLD });
    const created = await oldRepo.create(db.fork(schema), 'people', Array.from({ length: 7 }, (_, i) => ({ name: `p${i}`, ssn: `secret-${i}` })));
    const keys = created.map((r) => r.id);

    const first = await reencryptAll(() => db.fork(schema), schema, collections.list(), { oldKey: OLD, newKey: NEW, batchSize: 3, log });
    expect(first).toEqual({ collections: 1, rewritten: 7, alreadyNew: 0 });

    const newRepo = new RecordRepository({ collections, ids, aesKey: NEW });
    const people = await Promise.all(keys.map((id) => newRepo.getByPk(db.fork(schema), 'people', id)));
    expect(people.map((p) => p!.ssn)).toEqual(Array.from({ length: 7 }, (_, i) => `secret-${i}`));
    await expect(oldRepo.getByPk(db.fork(schema), 'people', keys[0])).rejects.toMatchObject({ type: 'CB_ERR_DATA_DECRYPT' });

    const again = await reencryptAll(() => db.fork(schema), schema, collections.list(), { oldKey: OLD, newKey: NEW, batchSize: 3, log });
    expect(again).toEqual({ collections: 1, rewritten: 0, alreadyNew: 7 });

    expect(await checkFingerprints(db.fork(schema), schema, { appKey: 'app-key-for-the-test', aesKey: NEW })).toEqual([]);
    expect(await checkFingerprints(db.fork(schema), schema, { appKey: 'app-key-for-the-test', aesKey: OLD })).toEqual([
      expect.stringMatching(/^APP_AES_SECRET_KEY differs/),
    ]);
  });
});
