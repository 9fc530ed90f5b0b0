import { loadConfig } from '../shared/config/index.js';
import { CollectionManager } from '../shared/data/index.js';
import { reencryptAll } from '../shared/data-api/index.js';
import { startDatabase } from '../shared/db/index.js';
import { StartupRefusal } from '../shared/errors/index.js';
import { orExitOnRefusal } from '../shared/runtime/index.js';
import { loadSecrets } from '../shared/secrets/index.js';

/**
 * `npm run reencrypt`: re-encrypts every encrypted field of the main app under NEW_APP_AES_SECRET_KEY
 * (APP_AES_SECRET_KEY, or the generated key file, is the current key). Resumable: run it again after
 * an interruption. Then give every node the new key as APP_AES_SECRET_KEY and restart them one by one
 * (nodes still on the old key report the mismatch on /readyz).
 */
async function main(): Promise<void> {
  const config = orExitOnRefusal(() => loadConfig());
  if (!config.secrets.newAesKeyHex) throw new StartupRefusal('CB_ERR_CONFIG_INVALID', ['NEW_APP_AES_SECRET_KEY: required by npm run reencrypt']);
  const log = { info: (m: string) => console.log(m), warn: (m: string) => console.warn(m), error: (m: string) => console.error(m), debug: () => undefined };
  const secrets = loadSecrets({ appKey: config.secrets.appKey ?? undefined, aesKeyHex: config.secrets.aesKeyHex ?? undefined, storagePath: config.storagePath, clustered: false, log });
  const db = await startDatabase(config.db, log);
  try {
    const schema = config.db.schema;
    const collections = new CollectionManager({ schema, ids: { next: () => 0 } });
    await collections.load(db.database.fork(schema));
    const report = await reencryptAll(() => db.database.fork(schema), schema, collections.list(), {
      oldKey: secrets.aesKey,
      newKey: Buffer.from(config.secrets.newAesKeyHex, 'hex'),
      log,
    });
    console.log(`done: ${report.rewritten} values re-encrypted, ${report.alreadyNew} already under the new key, in ${report.collections} collections`);
    console.log('next: set APP_AES_SECRET_KEY to the new key on every node and restart them one by one');
  } finally {
    await db.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof StartupRefusal) orExitOnRefusal(() => { throw err; });
  console.error(`reencrypt failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
