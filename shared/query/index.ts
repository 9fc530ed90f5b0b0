export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_FILTER_DEPTH,
  MAX_FILTER_CONDITIONS,
  MAX_FILTER_VALUES,
  type CompileOptions,
  type FilterOptions,
  type SelectedFields,
  type PaginationInput,
  type Pagination,
  type ListMeta,
  type SqlFragment,
} from './types.js';
export { compileFilter } from './compile-filter.js';
export { compileSort, type SortOptions } from './compile-sort.js';
export { compileFields } from './compile-fields.js';
export { pagination, listMeta } from './pagination.js';
export { FIELD_OPERATORS, MAX_IN_VALUES, escapeLike, type FieldOperator } from './field-operators.js';
