import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { cbError } from '../errors/index.js';

/**
 * Task files live under STORAGE_PATH, which every node of a cluster shares: an export written by one
 * node is fetched through any other, and a staged upload is read by whichever node runs the import.
 * Paths stored in `asyncTasks` are relative to STORAGE_PATH.
 */

/** Bytes a file name's base may take: NAME_MAX is 255 bytes, and `.<fence>.partial` and the extension follow it. */
export const FILE_NAME_MAX_BYTES = 180;

/**
 * A title as a file name: no path separators, control or bidi-override characters, no leading dots,
 * at most FILE_NAME_MAX_BYTES bytes of UTF-8 (cut on a character boundary, never mid surrogate pair).
 */
export function safeFileName(title: string, ext: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are replaced on purpose
  const cleaned = title.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069/\\:*?"<>|]+/g, '_').replace(/^[.\s]+/, '').trim();
  let base = '';
  let bytes = 0;
  for (const ch of cleaned) {
    bytes += Buffer.byteLength(ch);
    if (bytes > FILE_NAME_MAX_BYTES) break;
    base += ch;
  }
  return `${base.trim() || 'export'}.${ext}`;
}

const STAGED = /^tmp\/uploads\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[A-Za-z0-9._-]{0,80}$/;

/** Is `stored` a path stageUpload produced (and nothing else under STORAGE_PATH, e.g. another task's file)? */
export function isStagedUpload(stored: unknown): stored is string {
  return typeof stored === 'string' && STAGED.test(stored);
}

export function taskFilePath(app: string, taskId: string, fileName: string): string {
  return join('tasks', app, taskId, fileName);
}

/** The absolute path of a stored relative path, refusing anything that would leave STORAGE_PATH. */
export function absolute(storagePath: string, stored: string): string {
  const full = resolve(storagePath, stored);
  if (relative(storagePath, full).startsWith('..') || !full.startsWith(resolve(storagePath) + sep)) throw new Error(`path ${stored} leaves STORAGE_PATH`);
  return full;
}

export async function ensureDir(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
}

/** Removes a task's file and its folder (retention, a restarted export). Missing files are fine. */
export async function removeTaskFile(storagePath: string, stored: string): Promise<void> {
  const full = absolute(storagePath, stored);
  await rm(dirname(full), { recursive: true, force: true });
}

export async function removeQuietly(storagePath: string, stored: string | null | undefined): Promise<void> {
  if (!stored) return;
  await unlink(absolute(storagePath, stored)).catch(() => undefined);
}

/** Readiness of a node that writes task files: STORAGE_PATH/tmp must take a write and a delete. */
export async function checkWritable(storagePath: string): Promise<void> {
  const probe = join(storagePath, 'tmp', `.probe-${process.pid}-${randomUUID()}`);
  try {
    await mkdir(dirname(probe), { recursive: true });
    await writeFile(probe, 'ok');
    await unlink(probe);
  } catch (err) {
    throw new Error(`STORAGE_PATH ${storagePath} is not writable: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * New tasks need room: STORAGE_PATH's volume (which may also hold the embedded database) must keep
 * `minFree` bytes free, else a 507 naming STORAGE_MIN_FREE.
 */
export async function assertFreeSpace(storagePath: string, minFree: number): Promise<void> {
  const fs = await statfs(storagePath).catch(() => null);
  if (!fs) throw cbError('CB_ERR_TASK_STORAGE', `STORAGE_PATH ${storagePath} cannot be inspected`);
  const free = fs.bavail * fs.bsize;
  if (free < minFree) throw cbError('CB_ERR_TASK_STORAGE_FULL', `STORAGE_PATH has ${free} bytes free, less than STORAGE_MIN_FREE (${minFree} bytes): no new task is accepted`);
}

export interface StagedUpload {
  /** Relative to STORAGE_PATH. */
  readonly path: string;
  readonly fileName: string;
  readonly size: number;
}

/**
 * Writes an uploaded file (a stream the gateway hands over) to STORAGE_PATH/tmp/uploads, counting
 * bytes: past `maxBytes` the write stops, the partial file is removed and the answer is `tooLarge`
 * (default: the import's 413 naming IMPORT_MAX_FILE_SIZE).
 */
export async function stageUpload(
  storagePath: string,
  stream: Readable,
  fileName: string,
  maxBytes: number,
  tooLarge: (maxBytes: number) => Error = (max) => cbError('CB_ERR_TASK_FILE_TOO_LARGE', `The uploaded file is larger than IMPORT_MAX_FILE_SIZE (${max} bytes)`),
): Promise<StagedUpload> {
  const stored = join('tmp', 'uploads', `${randomUUID()}-${basename(fileName).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80)}`);
  const full = absolute(storagePath, stored);
  await ensureDir(full);
  let size = 0;
  try {
    await new Promise<void>((ok, fail) => {
      const out = createWriteStream(full);
      let failed = false;
      const stop = (err: Error) => {
        if (failed) return;
        failed = true;
        out.destroy();
        // The rest of the part is read and discarded (never stored): the multipart reader can then
        // finish, and the client receives the error instead of a reset connection.
        stream.resume();
        fail(err);
      };
      stream.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > maxBytes) return stop(tooLarge(maxBytes));
        if (!out.write(chunk)) {
          stream.pause();
          out.once('drain', () => stream.resume());
        }
      });
      stream.once('end', () => {
        if (!failed) out.end();
      });
      stream.once('error', stop);
      out.once('error', stop);
      out.once('finish', () => {
        if (!failed) ok();
      });
    });
  } catch (err) {
    await unlink(full).catch(() => undefined);
    throw err;
  }
  return { path: stored, fileName, size };
}

/**
 * Staged uploads and spooled inline exports older than `maxAgeMs` (an import whose task was never
 * created, an export a crash left behind): removed by the sweep. Answers how many went.
 */
export async function removeStaleUploads(storagePath: string, maxAgeMs: number): Promise<number> {
  let removed = 0;
  for (const folder of ['uploads', 'exports']) removed += await removeOlder(join(storagePath, 'tmp', folder), maxAgeMs);
  return removed;
}

async function removeOlder(dir: string, maxAgeMs: number): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const file = join(dir, name);
    const info = await stat(file).catch(() => null);
    if (info && Date.now() - info.mtimeMs > maxAgeMs) {
      await unlink(file).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}
