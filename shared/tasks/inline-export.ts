import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { cbError } from '../errors/index.js';
import { writeExport, type ExportInput } from './export.js';
import { absolute, ensureDir } from './storage.js';

/**
 * An inline export (`<collection>:export` answered at once) never holds a database connection while
 * its client reads: the file is written to STORAGE_PATH/tmp/exports from one short read transaction
 * (bounded by the request's deadline: statement and idle-in-transaction timeouts), the connection goes
 * back to the pool, and only then is the file streamed. A client that never reads holds a file and a
 * socket (closed by the gateway's write deadline, HTTP_WRITE_TIMEOUT), never a pool connection.
 *
 * Each user has at most `maxPerUser` inline exports open on a node at once (being written or being
 * read by the client); one more is a 429 CB_ERR_TASK_TOO_MANY_EXPORTS.
 */

const open = new Map<string, number>();

/** Takes one of the user's slots, or refuses; the returned function gives it back (once). */
export function takeExportSlot(user: string, maxPerUser: number): () => void {
  const now = open.get(user) ?? 0;
  if (now >= maxPerUser) {
    throw cbError('CB_ERR_TASK_TOO_MANY_EXPORTS', `At most ${maxPerUser} exports per user at once (EXPORT_MAX_CONCURRENT_PER_USER); wait for one to finish or use async=true`);
  }
  open.set(user, now + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (open.get(user) ?? 1) - 1;
    if (left <= 0) open.delete(user);
    else open.set(user, left);
  };
}

/**
 * Writes the export to a temporary file, then answers a stream of it that removes the file and calls
 * `done` when the client has read it or gone away. A failure removes the file and calls `done`.
 */
export async function spoolExport(em: EntityManager, input: ExportInput, storagePath: string, done: () => void): Promise<Readable> {
  const stored = join('tmp', 'exports', `${randomUUID()}.${input.format}`);
  const full = absolute(storagePath, stored);
  const cleanup = () => {
    done();
    void unlink(full).catch(() => undefined);
  };
  try {
    await ensureDir(full);
    const file = createWriteStream(full);
    try {
      await writeExport(em, input, file);
    } finally {
      file.end();
      await finished(file).catch(() => undefined);
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  const out = createReadStream(full);
  out.once('close', cleanup);
  return out;
}
