import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { cbError } from '../errors/index.js';
import type { StorageAdapter, StoredFile } from './types.js';

/**
 * Files in a folder under STORAGE_PATH (`options.documentRoot`, default `uploads`), which every node of
 * a cluster shares: a file stored through one node is read through any other.
 */
export class LocalStorage implements StorageAdapter {
  private readonly root: string;

  constructor(storagePath: string, documentRoot: unknown) {
    const folder = typeof documentRoot === 'string' && documentRoot !== '' ? documentRoot : 'uploads';
    this.root = inside(resolve(storagePath), folder);
  }

  async put(key: string, file: StoredFile): Promise<void> {
    const target = inside(this.root, key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(file.localPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(file.localPath, target);
      await unlink(file.localPath);
    }
  }

  async get(key: string): Promise<Readable> {
    const stream = createReadStream(inside(this.root, key));
    await new Promise<void>((ok, fail) => {
      stream.once('open', () => ok());
      stream.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? cbError('CB_ERR_HTTP_NOT_FOUND', 'The file is not in its storage') : err));
    });
    return stream;
  }

  async remove(key: string): Promise<void> {
    await unlink(inside(this.root, key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** `path` under `root`, refusing anything that would leave it (`..`, an absolute path). */
function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (relative(root, full).startsWith('..') || !full.startsWith(root + sep)) throw cbError('CB_ERR_VALIDATION', `The storage path "${path.slice(0, 64)}" leaves its folder`);
  return full;
}
