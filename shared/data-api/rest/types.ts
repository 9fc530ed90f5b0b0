import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../auth/index.js';
import type { WriteLimits } from '../../data/index.js';
import type { AppData } from '../app-data.js';

/** The part of an app (shared/apps AppContext) the data actions use. */
export interface DataApp {
  readonly name: string;
  readonly schema: string;
  readonly data: AppData;
  readonly aesKey: Buffer;
  readonly config: { readonly idempotencyTtlMs: number; readonly data: WriteLimits };
}

/** The params of a data action: the query string, the body as `values`, the path's parts. */
export interface DataParams {
  readonly [key: string]: unknown;
  readonly resourceName?: string;
  readonly filterByTk?: string | string[];
  readonly associatedIndex?: string;
  readonly values?: unknown;
}

/** A REST action body of the data API (the signature every REST body in shared/ has). */
export type DataHandler = (app: DataApp, caller: Caller, em: EntityManager, params: DataParams) => Promise<unknown>;
