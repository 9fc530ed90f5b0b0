import { qualified, quoteIdent, toPositional } from '../../index';

/** What quoteIdent throws for a name it refuses: CB_ERR_VALIDATION (400) with `text` in the message. */
const refusal = (text: string) => expect.objectContaining({ type: 'CB_ERR_VALIDATION', code: 400, message: expect.stringContaining(text) });

describe('identifier quoting', () => {
  test('quotes and doubles embedded double quotes', () => {
    expect(quoteIdent('title')).toBe('"title"');
    expect(quoteIdent('Mixed Case')).toBe('"Mixed Case"');
    expect(quoteIdent('a"; drop table x; --')).toBe('"a""; drop table x; --"');
  });

  test('qualified joins schema and table', () => {
    expect(qualified('app_x', 'my"table')).toBe('"app_x"."my""table"');
  });

  test('refuses empty names, NUL and ? (runSql would read ? as a placeholder)', () => {
    expect(() => quoteIdent('')).toThrow(refusal('non-empty'));
    expect(() => quoteIdent('a\0b')).toThrow(refusal('NUL or ?'));
    expect(() => quoteIdent('what?')).toThrow(refusal('NUL or ?'));
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
