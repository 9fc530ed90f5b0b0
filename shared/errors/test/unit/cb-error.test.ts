import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue, cbError, type ErrorCode } from '../../index';

describe('the error catalogue', () => {
  test('every code follows CB_ERR_<AREA>_<WHAT> and has an HTTP status', () => {
    for (const [code, spec] of Object.entries(catalogue)) {
      expect(code).toMatch(/^CB_ERR_[A-Z]+(_[A-Z]+)*$/);
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
      // A retryable code must be a 5xx: Moleculer never retries client errors.
      if (spec.retryable) expect(spec.status).toBeGreaterThanOrEqual(500);
    }
  });

  test('every code is documented in docs/errors.md', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'errors.md'), 'utf8');
    const missing = Object.keys(catalogue).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  test.each(Object.keys(catalogue) as ErrorCode[])('%s builds a Moleculer error with its status and retry flag', (code) => {
    const err = cbError(code, 'because');
    expect(err.type).toBe(code);
    expect(err.code).toBe(catalogue[code].status);
    expect(err.message).toBe('because');
    expect(err.retryable).toBe(catalogue[code].retryable);
  });
});
