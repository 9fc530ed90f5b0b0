import { qualified, quoteIdent, toPositional } from '../../index';
import { validationMessage } from '../support/collections';

describe('identifier quoting', () => {
  test('quotes and doubles embedded double quotes', () => {
    expect(quoteIdent('title')).toBe('"title"');
    expect(quoteIdent('Mixed Case')).toBe('"Mixed Case"');
    expect(quoteIdent('a"; drop table x; --')).toBe('"a""; drop table x; --"');
  });

  test('qualified joins schema and table', () => {
    expect(qualified('app_x', 'my"table')).toBe('"app_x"."my""table"');
  });

  test('refuses empty names, NUL and ? (MikroORM would read ? as a placeholder)', () => {
    expect(validationMessage(() => quoteIdent(''))).toContain('non-empty');
    expect(validationMessage(() => quoteIdent('a\0b'))).toContain('NUL or ?');
    expect(validationMessage(() => quoteIdent('what?'))).toContain('NUL or ?');
  });
});

describe('toPositional', () => {
  test('numbers ? placeholders for pg', () => {
    expect(toPositional('"a" = ? AND "b" IN (?, ?)')).toBe('"a" = $1 AND "b" IN ($2, $3)');
  });

  test('leaves ? inside quoted identifiers and string literals alone', () => {
    expect(toPositional(`"x?" = ? AND y = '?' AND z = 'it''s?' AND w = ?`)).toBe(`"x?" = $1 AND y = '?' AND z = 'it''s?' AND w = $2`);
  });
});
