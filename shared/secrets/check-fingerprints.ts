import { fingerprint } from './fingerprint.js';
import { quoteIdent, runSql, type SqlRunner } from '../sql/index.js';
import type { KeyPair } from './types.js';

const NAMES = ['APP_KEY', 'APP_AES_SECRET_KEY'] as const;

/** `cb_meta` key under which the fingerprint of `name` is kept. */
export function fingerprintMetaKey(name: (typeof NAMES)[number]): string {
  return `key_fingerprint:${name}`;
}

interface StoredFingerprint {
  readonly fingerprint: string;
}

/**
 * Compares this node's keys with the ones the app's database was first started with. The first node
 * to call it on a fresh schema records both fingerprints in `cb_meta` (insert-if-absent, so concurrent
 * first starts agree on one winner); every later call compares. Returns one line per differing key,
 * naming the key and both fingerprints (never a key); empty when both match. The caller turns a
 * non-empty list into a failing readiness check.
 */
export async function checkFingerprints(em: SqlRunner, schema: string, keys: KeyPair): Promise<string[]> {
  const table = `${quoteIdent(schema)}."cb_meta"`;
  const ours = {
    APP_KEY: fingerprint(keys.appKey, 'APP_KEY'),
    APP_AES_SECRET_KEY: fingerprint(keys.aesKey, 'APP_AES_SECRET_KEY'),
  };
  await runSql(
    em,
    `insert into ${table} ("key", "value") values (?, ?::jsonb), (?, ?::jsonb) on conflict ("key") do nothing`,
    NAMES.flatMap((name) => [fingerprintMetaKey(name), JSON.stringify({ fingerprint: ours[name], algorithm: 'sha256/16hex/v1' })]),
  );
  const { rows } = await runSql<{ key: string; value: unknown }>(em, `select "key", "value" from ${table} where "key" in (?, ?)`, NAMES.map(fingerprintMetaKey));
  const mismatches: string[] = [];
  for (const name of NAMES) {
    const row = rows.find((r) => r.key === fingerprintMetaKey(name));
    const stored = (row?.value as StoredFingerprint | undefined)?.fingerprint;
    if (typeof stored !== 'string') {
      mismatches.push(`${name}: the fingerprint stored in ${schema}.cb_meta is missing or unreadable`);
    } else if (stored !== ours[name]) {
      mismatches.push(
        `${name} differs from the one this database was first started with (fingerprint ${ours[name]} on this node vs ${stored} in the database)`,
      );
    }
  }
  return mismatches;
}
