import { cbError } from '../errors/index.js';
import { LocalStorage } from './local-storage.js';
import { S3Storage, s3Options } from './s3-storage.js';
import type { StorageAdapter, StorageRecord } from './types.js';

/** The storage types there are (NocoBase's `local` and `s3`). */
export const STORAGE_TYPES = ['local', 's3'] as const;

/** A storage row's options checked for its type (a 400 naming what is wrong). */
export function checkStorageOptions(type: unknown, options: Readonly<Record<string, unknown>>): void {
  if (!STORAGE_TYPES.includes(type as never)) throw cbError('CB_ERR_VALIDATION', `A storage type is one of ${STORAGE_TYPES.join(', ')}`);
  if (type === 's3') s3Options(options);
}

/**
 * The adapter of one storage row, made once per row version (an S3 client keeps its connections):
 * `local` under STORAGE_PATH, `s3` through the AWS SDK.
 */
export class StorageAdapters {
  private readonly made = new Map<string, { version: string; adapter: StorageAdapter }>();

  constructor(private readonly storagePath: string) {}

  of(storage: StorageRecord): StorageAdapter {
    const key = String(storage.id);
    const hit = this.made.get(key);
    if (hit && hit.version === storage.updatedAt) return hit.adapter;
    if (hit?.adapter instanceof S3Storage) hit.adapter.close();
    checkStorageOptions(storage.type, storage.options);
    const adapter = storage.type === 's3' ? new S3Storage(s3Options(storage.options)) : new LocalStorage(this.storagePath, storage.options.documentRoot);
    this.made.set(key, { version: storage.updatedAt, adapter });
    return adapter;
  }

  close(): void {
    for (const { adapter } of this.made.values()) if (adapter instanceof S3Storage) adapter.close();
    this.made.clear();
  }
}
