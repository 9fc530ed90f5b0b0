import type { EntityManager } from '@mikro-orm/postgresql';
import { decryptValue, encryptValue, type CollectionMeta } from '../data/index.js';
import { fingerprint, fingerprintMetaKey } from '../secrets/index.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';
import type { Logger } from '../errors/index.js';

export interface ReencryptOptions {
  readonly oldKey: Buffer;
  readonly newKey: Buffer;
  /** Rows per transaction (default 500). */
  readonly batchSize?: number;
  readonly log: Pick<Logger, 'info'>;
}

export interface ReencryptReport {
  readonly collections: number;
  readonly rewritten: number;
  readonly alreadyNew: number;
}

/** Decrypts with the new key when it already opens the value (a resumed run), else re-encrypts it. */
function rekey(value: string, field: string, options: ReencryptOptions): string | null {
  try {
    decryptValue(value, options.newKey, field);
    return null;
  } catch {
    return encryptValue(decryptValue(value, options.oldKey, field), options.newKey);
  }
}

/**
 * Re-encrypts every `encrypted` field of an app under a new AES key, in batches of rows (each batch
 * one transaction, rows locked), walking each table by primary key. Safe to stop and run again: a
 * value the new key already opens is left alone. Finally the database's key fingerprint becomes the
 * new key's, so nodes still on the old key turn unready until they get the new one.
 */
export async function reencryptAll(fork: () => EntityManager, schema: string, collections: readonly CollectionMeta[], options: ReencryptOptions): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 500;
  let rewritten = 0;
  let alreadyNew = 0;
  let touched = 0;
  for (const meta of collections) {
    const fields = [...meta.fields.values()].filter((f) => f.type === 'encrypted').map((f) => f.name);
    if (fields.length === 0) continue;
    touched++;
    const table = qualified(meta.schema, meta.table);
    const pk = quoteIdent(meta.primaryKey);
    const columns = fields.map(quoteIdent).join(', ');
    let after: unknown = null;
    for (;;) {
      const done = await fork().transactional(async (tx) => {
        const rows = (
          await runSql(tx, `select ${pk} as pk, ${columns} from ${table} where (?::text is null or ${pk} > ?) order by ${pk} limit ${batchSize} for update`, [
            after,
            after,
          ])
        ).rows;
        for (const row of rows) {
          const changes: [string, string][] = [];
          for (const field of fields) {
            const value = row[field];
            if (typeof value !== 'string') continue;
            const next = rekey(value, field, options);
            if (next === null) alreadyNew++;
            else changes.push([field, next]);
          }
          if (changes.length === 0) continue;
          await runSql(tx, `update ${table} set ${changes.map(([f]) => `${quoteIdent(f)} = ?`).join(', ')} where ${pk} = ?`, [...changes.map(([, v]) => v), row.pk]);
          rewritten += changes.length;
        }
        if (rows.length > 0) after = rows[rows.length - 1]!.pk;
        return rows.length < batchSize;
      });
      if (done) break;
    }
    options.log.info(`re-encrypted collection "${meta.name}" (${fields.join(', ')})`);
  }
  await runSql(fork(), `update ${qualified(schema, 'cb_meta')} set "value" = ?::jsonb, "updated_at" = now() where "key" = ?`, [
    JSON.stringify({ fingerprint: fingerprint(options.newKey, 'APP_AES_SECRET_KEY'), algorithm: 'sha256/16hex/v1' }),
    fingerprintMetaKey('APP_AES_SECRET_KEY'),
  ]);
  return { collections: touched, rewritten, alreadyNew };
}
