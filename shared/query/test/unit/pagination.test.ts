import { DEFAULT_PAGE_SIZE, listMeta, MAX_PAGE_SIZE, pagination } from '../../index';
import { validationMessage } from '../support/collections';

describe('pagination', () => {
  test('defaults: page 1, pageSize 20', () => {
    expect(pagination()).toEqual({ limit: DEFAULT_PAGE_SIZE, offset: 0, page: 1, pageSize: 20 });
    expect(pagination({ page: '', pageSize: '' })).toEqual(pagination());
  });

  test('page and pageSize from the query string (strings) or JSON (numbers)', () => {
    expect(pagination({ page: '3', pageSize: '10' })).toEqual({ limit: 10, offset: 20, page: 3, pageSize: 10 });
    expect(pagination({ page: 2, pageSize: 5 })).toEqual({ limit: 5, offset: 5, page: 2, pageSize: 5 });
  });

  test('paginate=false (boolean or text) lists everything: null', () => {
    expect(pagination({ paginate: false })).toBeNull();
    expect(pagination({ paginate: 'false', pageSize: '99999' })).toBeNull();
    expect(pagination({ paginate: 'true' })).not.toBeNull();
  });

  test(`pageSize up to ${MAX_PAGE_SIZE} is accepted, above it a 400 that says the maximum`, () => {
    expect(pagination({ pageSize: MAX_PAGE_SIZE })?.limit).toBe(MAX_PAGE_SIZE);
    expect(validationMessage(() => pagination({ pageSize: '5000' }))).toContain(`at most ${MAX_PAGE_SIZE}`);
  });

  test.each([['0'], [0], ['-1'], ['1.5'], [2.5], ['abc'], [['1', '2']], [true]])('page %p is a 400', (page) => {
    expect(validationMessage(() => pagination({ page }))).toContain('page must be a positive integer');
  });

  test.each([['0'], ['x'], [-20]])('pageSize %p is a 400', (pageSize) => {
    expect(validationMessage(() => pagination({ pageSize }))).toContain('pageSize must be a positive integer');
  });

  test('a page so far out that the offset is not exact is a 400', () => {
    expect(validationMessage(() => pagination({ page: String(Number.MAX_SAFE_INTEGER), pageSize: 1000 }))).toContain('out of range');
  });

  test('paginate must be a boolean', () => {
    expect(validationMessage(() => pagination({ paginate: 'no' }))).toContain('paginate');
  });
});

describe('listMeta', () => {
  test('matches the recorded NocoBase meta', () => {
    expect(listMeta(30, 1, 3)).toEqual({ count: 30, page: 1, pageSize: 3, totalPage: 10 });
    expect(listMeta('30', 99, 20)).toEqual({ count: 30, page: 99, pageSize: 20, totalPage: 2 });
    expect(listMeta(0, 1, 20)).toEqual({ count: 0, page: 1, pageSize: 20, totalPage: 0 });
  });
});
