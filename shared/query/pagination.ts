import { cbError } from '../errors/index.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type ListMeta, type Pagination, type PaginationInput } from './types.js';

/**
 * NocoBase's `page` / `pageSize` / `paginate`. `paginate=false` (boolean or the query-string text)
 * returns null: the caller lists everything without `meta`. page and pageSize are positive integers
 * (digit strings accepted, '' means absent); a pageSize above MAX_PAGE_SIZE is a 400 naming the maximum.
 */
export function pagination(input: PaginationInput = {}): Pagination | null {
  const { paginate } = input;
  if (paginate === false || paginate === 'false') return null;
  if (paginate !== undefined && paginate !== null && paginate !== '' && paginate !== true && paginate !== 'true') {
    throw cbError('CB_ERR_VALIDATION', 'paginate must be true or false', { param: 'paginate' });
  }
  const pageSize = positiveInteger('pageSize', input.pageSize) ?? DEFAULT_PAGE_SIZE;
  if (pageSize > MAX_PAGE_SIZE) {
    throw cbError('CB_ERR_VALIDATION', `pageSize must be at most ${MAX_PAGE_SIZE} (got ${pageSize}); use more pages or paginate=false`, {
      param: 'pageSize',
      max: MAX_PAGE_SIZE,
    });
  }
  const page = positiveInteger('page', input.page) ?? 1;
  const offset = (page - 1) * pageSize;
  if (!Number.isSafeInteger(offset)) throw cbError('CB_ERR_VALIDATION', `page ${page} is out of range`, { param: 'page' });
  return { limit: pageSize, offset, page, pageSize };
}

/** `{count, page, pageSize, totalPage}`; count may be PostgreSQL's bigint text. */
export function listMeta(count: number | string | bigint, page: number, pageSize: number): ListMeta {
  const n = Number(count);
  return { count: n, page, pageSize, totalPage: pageSize > 0 ? Math.ceil(n / pageSize) : 0 };
}

function positiveInteger(param: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw cbError('CB_ERR_VALIDATION', `${param} must be a positive integer, got ${JSON.stringify(value)}`, { param });
  }
  return n;
}
