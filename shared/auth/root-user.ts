import { hashPassword, verifyPassword } from './password.js';
import { qualified, runSql } from '../sql/index.js';
import type { AuthLogger, SqlRunner } from './types.js';

export interface RootUserOptions {
  /** INIT_ROOT_EMAIL / INIT_ROOT_USERNAME / INIT_ROOT_PASSWORD, or a sub-app's own credentials. */
  readonly email: string;
  readonly username: string;
  /** The password, or `passwordHash` instead (a sub-app's root, hashed by the supervisor). */
  readonly password?: string;
  readonly passwordHash?: string;
  /** Default `Super Admin`, as NocoBase. */
  readonly nickname?: string;
  /** Snowflake generator of the node. */
  readonly ids: { next(): number };
  readonly log: AuthLogger;
  /** True when INIT_ROOT_PASSWORD (or the other INIT_ROOT_*) were left at their documented defaults. */
  readonly defaultsUsed: boolean;
}

export interface RootUserResult {
  /** True when this call created the root user (first start of the app). */
  readonly created: boolean;
  /** Id of the root user made at the first start (string: it comes from a bigint column). */
  readonly id: string | undefined;
}

const MARKER = 'root_user';

/**
 * Makes the root user (roles {root}) at the app's first start, once: a `cb_meta` row `root_user`
 * records that it was made, so a root later renamed or deleted is not re-created at the next start.
 * Safe with many nodes starting together: the marker is inserted with ON CONFLICT DO NOTHING in the
 * same transaction as the user, so exactly one node creates it and the others wait for its commit
 * and find the marker; the user insert is ON CONFLICT DO NOTHING too (a leftover user with the same
 * email or username is kept, not duplicated).
 *
 * When `defaultsUsed`, warns at every start while the root user still accepts the default password.
 */
export async function ensureRootUser(em: SqlRunner, schema: string, options: RootUserOptions): Promise<RootUserResult> {
  const meta = qualified(schema, 'cb_meta');
  const users = qualified(schema, 'users');
  const existing = await readMarker(em, meta);
  if (existing) {
    if (options.defaultsUsed) await warnIfDefaultPassword(em, users, existing, options);
    return { created: false, id: existing };
  }

  const hash = options.passwordHash ?? (await hashPassword(options.password ?? ''));
  const id = String(options.ids.next());
  const created = await em.transactional(async (tx) => {
    const won = await runSql(
      tx,
      `insert into ${meta} ("key", "value") values (?, ?::jsonb) on conflict ("key") do nothing returning "key"`,
      [MARKER, JSON.stringify({ id })],
    );
    if (won.rows.length === 0) return false;
    await runSql(
      tx,
      `insert into ${users} ("id", "username", "email", "nickname", "password", "roles") values (?, ?, ?, ?, ?, '{root}') on conflict do nothing`,
      [id, options.username, options.email, options.nickname ?? 'Super Admin', hash],
    );
    return true;
  });
  if (!created) return { created: false, id: await readMarker(em, meta) };
  if (options.defaultsUsed) {
    options.log.warn(
      `Created the root user "${options.username}" <${options.email}> with the DEFAULT password from INIT_ROOT_PASSWORD: ` +
        'sign in and change it, or set INIT_ROOT_EMAIL / INIT_ROOT_USERNAME / INIT_ROOT_PASSWORD before the first start.',
    );
  }
  return { created: true, id };
}

async function readMarker(em: SqlRunner, meta: string): Promise<string | undefined> {
  const { rows } = await runSql<{ value: { id?: unknown } }>(em, `select "value" from ${meta} where "key" = ?`, [MARKER]);
  const id = rows[0]?.value?.id;
  return typeof id === 'string' ? id : undefined;
}

async function warnIfDefaultPassword(em: SqlRunner, users: string, id: string, options: RootUserOptions): Promise<void> {
  const { rows } = await runSql<{ password: string | null; username: string | null }>(
    em,
    `select "password", "username" from ${users} where "id" = ?`,
    [id],
  );
  const row = rows[0];
  if (row?.password && options.password && (await verifyPassword(options.password, row.password))) {
    options.log.warn(`The root user "${row.username ?? id}" still has the default password (INIT_ROOT_PASSWORD): change it.`);
  }
}
