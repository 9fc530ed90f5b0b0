import type { Readable } from 'node:stream';

/** One `storages` row (NocoBase's file manager): where files go and what they may be. */
export interface StorageRecord {
  readonly id: number;
  readonly title: string | null;
  readonly name: string;
  /** `local` (under STORAGE_PATH) or `s3` (any S3-compatible service). */
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** `size` (bytes, default 20 MiB) and `mimetype` (`image/*,application/pdf`; empty: any). */
  readonly rules: { readonly size?: number; readonly mimetype?: string };
  /** Folder inside the storage new files go to (`''`: its root). */
  readonly path: string;
  /** Public URL prefix of the storage's files; empty: files are served by `attachments:download`. */
  readonly baseUrl: string;
  readonly default: boolean;
  /** True: removing an attachment record keeps its file. */
  readonly paranoid: boolean;
  /** Changes when the row does (adapters are cached per version). */
  readonly updatedAt: string;
}

/** A file to store: a local file (the staged upload) with its size and type. */
export interface StoredFile {
  readonly localPath: string;
  readonly size: number;
  readonly mimeType: string;
}

/**
 * The port every storage type implements: put a file under a key, read it back as a stream, remove
 * it. Keys are `<storage path>/<file name>`, never chosen by a client.
 */
export interface StorageAdapter {
  put(key: string, file: StoredFile): Promise<void>;
  get(key: string): Promise<Readable>;
  remove(key: string): Promise<void>;
}
