import { hashPassword, verifyAgainstDummy, verifyPassword } from '../../index.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashing', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format with OWASP’s minimum cost (N=2^17, r=8, p=1) by default', async () => {
    const hash = await hashPassword('admin123');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(hash).not.toContain('admin123');
    await expect(verifyPassword('admin123', hash)).resolves.toBe(true);
  });

  it('salts: the same password hashes differently each time, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('pw', FAST), hashPassword('pw', FAST)]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('pw', a)).resolves.toBe(true);
    await expect(verifyPassword('pw', b)).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    const hash = await hashPassword('correct horse', FAST);
    await expect(verifyPassword('correct hors', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('treats differently composed Unicode of the same text as the same password', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    await expect(verifyPassword('cafe\u0301', hash)).resolves.toBe(true);
  });

  it('answers false for malformed hashes and for cost parameters out of bounds', async () => {
    const hash = await hashPassword('pw', FAST);
    const [, , r, p, salt, h] = hash.split('$');
    for (const bad of ['', 'plain', 'bcrypt$x', hash.replace('scrypt', 'script'), `scrypt$1000$${r}$${p}$${salt}$${h}`,
      `scrypt$${2 ** 24}$${r}$${p}$${salt}$${h}`, `scrypt$1048576$32$${p}$${salt}$${h}`, `scrypt$1024$${r}$99$${salt}$${h}`,
      `scrypt$1024$${r}$${p}$$${h}`, `scrypt$1024$${r}$${p}$${salt}$abc`]) {
      await expect(verifyPassword('pw', bad)).resolves.toBe(false);
    }
  });

  it('refuses to hash an empty or oversized password', async () => {
    await expect(hashPassword('')).rejects.toThrow(/non-empty/);
    await expect(hashPassword('x'.repeat(1025))).rejects.toThrow(/at most 1024 bytes/);
    await expect(verifyPassword('x'.repeat(1025), await hashPassword('pw', FAST))).resolves.toBe(false);
  });

  it('the dummy check always answers false', async () => {
    await expect(verifyAgainstDummy('clusterbase-dummy-password')).resolves.toBe(false);
  });
});
