import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED, withTable } from '../../../../scripts/write-docs';

describe('generated documentation', () => {
  test.each(Object.keys(GENERATED))('docs/%s matches its source (run `npm run docs` after a change)', (file) => {
    const text = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', file), 'utf8');
    expect(text).toBe(withTable(text, GENERATED[file]!()));
  });
});
