import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KeyFileResult {
  /** File content without trailing whitespace. */
  readonly text: string;
  /** True when this call wrote the file; false when it existed (or another process wrote it first). */
  readonly created: boolean;
  /** Permission bits of the file (e.g. 0o600). */
  readonly mode: number;
}

/**
 * Reads a key file, or creates it with `generate()` when it does not exist. Creation is atomic and
 * race-free between processes sharing the folder (multi-core children, nodes on a shared volume):
 * the key is written in full to a private temporary file (mode 0600) and hard-linked into place;
 * the link fails if another process got there first, and then its key is read and used.
 */
export function readOrCreateKeyFile(path: string, generate: () => string): KeyFileResult {
  const existing = tryRead(path);
  if (existing) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${generate()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o600); // the umask can only remove bits, but be explicit
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = tryRead(path);
    if (theirs) return theirs;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
  const created = tryRead(path);
  if (!created) throw new Error(`key file ${path} vanished right after it was written`);
  return { ...created, created: true };
}

function tryRead(path: string): KeyFileResult | undefined {
  try {
    const text = readFileSync(path, 'utf8').replace(/\s+$/, '');
    return { text, created: false, mode: statSync(path).mode & 0o777 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
