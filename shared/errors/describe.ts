import { catalogue } from './catalogue.js';

/** The Markdown table of docs/errors.md, generated from the catalogue. */
export function errorTable(): string {
  const rows = Object.entries(catalogue).map(
    ([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.retryable ? 'yes' : 'no'} | ${spec.message} |`,
  );
  return ['| code | HTTP status | retryable | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
