import { requestHash, tokenSubject } from '../idempotent-write';

describe('what makes two keyed writes "the same request"', () => {
  test('the hash ignores the order of object keys and undefined fields, not values or arrays order', () => {
    const a = requestHash('1', { action: 'data.create', params: { values: { a: 1, b: [1, 2] }, filterByTk: undefined } });
    const b = requestHash('1', { params: { values: { b: [1, 2], a: 1 } }, action: 'data.create' });
    expect(a).toBe(b);
    expect(requestHash('1', { values: { a: 2 } })).not.toBe(requestHash('1', { values: { a: 1 } }));
    expect(requestHash('1', { values: [1, 2] })).not.toBe(requestHash('1', { values: [2, 1] }));
  });

  test('the caller is part of the request', () => {
    expect(requestHash('1', { x: 1 })).not.toBe(requestHash('2', { x: 1 }));
  });

  test('tokenSubject reads the subject of a bearer JWT, and is empty for anything else', () => {
    const payload = Buffer.from(JSON.stringify({ sub: '42', app: 'main' })).toString('base64url');
    expect(tokenSubject(`Bearer h.${payload}.s`)).toBe('42');
    expect(tokenSubject(undefined)).toBe('');
    expect(tokenSubject('Basic abc')).toBe('');
    expect(tokenSubject('Bearer not-a-jwt')).toBe('');
    expect(tokenSubject('Bearer a.%%%.b')).toBe('');
  });
});
