import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationTable } from '../shared/config/index.js';
import { errorTable } from '../shared/errors/index.js';

/** Generated tables in docs/, each between `<!-- generated:start -->` and `<!-- generated:end -->`. */
export const GENERATED: Record<string, () => string> = {
  'configuration.md': configurationTable,
  'errors.md': errorTable,
};

export const START = '<!-- generated:start -->';
export const END = '<!-- generated:end -->';

export function withTable(text: string, table: string): string {
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error('markers <!-- generated:start --> / <!-- generated:end --> not found');
  return `${text.slice(0, from + START.length)}\n${table}\n${text.slice(to)}`;
}

if (require.main === module) {
  for (const [file, table] of Object.entries(GENERATED)) {
    const path = join(__dirname, '..', 'docs', file);
    writeFileSync(path, withTable(readFileSync(path, 'utf8'), table()));
    console.log(`wrote docs/${file}`);
  }
}
