import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartupRefusal } from '../../../errors/index.js';
import { loadSecrets } from '../../index.js';

interface Captured {
  readonly warn: string[];
  readonly error: string[];
}

function logger(): Captured & { warn: string[]; error: string[]; log: { warn(m: string): void; error(m: string): void } } {
  const warn: string[] = [];
  const error: string[] = [];
  return { warn, error, log: { warn: (m) => warn.push(m), error: (m) => error.push(m) } };
}

const HEX = '9c88853438336269d82a38c1760963e92101756ed19e02895b838ba7eee83935';
let storage: string;

beforeEach(() => {
  storage = mkdtempSync(join(tmpdir(), 'cb-secrets-'));
});

afterEach(() => {
  rmSync(storage, { recursive: true, force: true });
});

function refusal(fn: () => unknown): StartupRefusal {
  try {
    fn();
  } catch (err) {
    if (err instanceof StartupRefusal) return err;
    throw err;
  }
  throw new Error('expected a StartupRefusal');
}

describe('loadSecrets: configured values', () => {
  it('uses configured keys as given and generates nothing', () => {
    const { log, warn, error } = logger();
    const s = loadSecrets({ appKey: 'a-long-enough-app-key-a2e2f2e5c664be611d32c17e', aesKeyHex: HEX, storagePath: storage, clustered: true, log });
    expect(s.appKey).toBe('a-long-enough-app-key-a2e2f2e5c664be611d32c17e');
    expect(s.aesKey).toEqual(Buffer.from(HEX, 'hex'));
    expect(s.aesKey).toHaveLength(32);
    expect(s.generated).toEqual([]);
    expect(s.sources).toEqual({ appKey: 'env', aesKey: 'env' });
    expect([...warn, ...error]).toEqual([]);
  });

  it('accepts upper-case hex', () => {
    const { log } = logger();
    const s = loadSecrets({ appKey: 'e588c8c9c43ddae001c6700be61887e53e83cf76', aesKeyHex: HEX.toUpperCase(), storagePath: storage, clustered: false, log });
    expect(s.aesKey).toEqual(Buffer.from(HEX, 'hex'));
  });

  it('refuses an AES key of the wrong length, naming the length but never the value', () => {
    const { log } = logger();
    const bad = 'abcdef0123';
    const err = refusal(() => loadSecrets({ appKey: 'e588c8c9c43ddae001c6700be61887e53e83cf76', aesKeyHex: bad, storagePath: storage, clustered: false, log }));
    expect(err.code).toBe('CB_ERR_CONFIG_INVALID');
    expect(err.problems).toEqual([
      'APP_AES_SECRET_KEY: must be exactly 64 hexadecimal characters (a 32-byte AES-256 key), got 10 characters',
    ]);
    expect(err.message).not.toContain(bad);
  });

  it('refuses 64 characters that are not all hex, without printing them', () => {
    const { log } = logger();
    const bad = `${'z'.repeat(2)}${'0'.repeat(62)}`;
    const err = refusal(() => loadSecrets({ appKey: 'e588c8c9c43ddae001c6700be61887e53e83cf76', aesKeyHex: bad, storagePath: storage, clustered: false, log }));
    expect(err.problems).toEqual([
      'APP_AES_SECRET_KEY: must be exactly 64 hexadecimal characters (a 32-byte AES-256 key), got 64 characters with non-hex ones',
    ]);
    expect(err.message).not.toContain(bad);
  });

  it('refuses an APP_KEY shorter than 32 characters, and reports both bad keys at once', () => {
    const { log } = logger();
    const err = refusal(() => loadSecrets({ appKey: 'short-secret', aesKeyHex: 'nothex', storagePath: storage, clustered: false, log }));
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toBe('APP_KEY: must be at least 32 characters of random data, got 12; generate one with: openssl rand -hex 32');
    expect(err.message).not.toContain('short-secret');
    expect(err.message).not.toContain('nothex');
  });
});

describe('loadSecrets: placeholder and low-entropy keys', () => {
  it.each([
    ['APP_KEY', { appKey: 'change-me-to-a-long-random-secret' }, 'is a placeholder from a template'],
    ['APP_KEY', { appKey: 'y'.repeat(40) }, 'is one character (or a short pattern) repeated'],
    ['APP_KEY', { appKey: 'abcd'.repeat(10) }, 'is one character (or a short pattern) repeated'],
    ['APP_KEY', { appKey: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab' }, 'looks too little random'],
    ['APP_AES_SECRET_KEY', { aesKeyHex: '0'.repeat(64) }, 'is one character (or a short pattern) repeated'],
    ['APP_AES_SECRET_KEY', { aesKeyHex: '01'.repeat(32) }, 'is one character (or a short pattern) repeated'],
  ])('refuses a weak %s with one line naming it', (name, keys, reason) => {
    const { log } = logger();
    const err = refusal(() => loadSecrets({ appKey: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4', aesKeyHex: HEX, ...keys, storagePath: storage, clustered: false, log }));
    expect(err.problems).toEqual([expect.stringMatching(new RegExp(`^${name}: ${reason.replace(/[()]/g, '\\$&')}`))]);
    for (const value of Object.values(keys)) expect(err.message).not.toContain(value);
  });
});

describe('loadSecrets: generated key files', () => {
  it('generates both key files with mode 0600 and warns', () => {
    const { log, warn, error } = logger();
    const s = loadSecrets({ storagePath: storage, clustered: false, log });
    expect(s.generated).toEqual(['APP_KEY', 'APP_AES_SECRET_KEY']);
    for (const name of ['app-key', 'aes-key']) {
      const path = join(storage, 'keys', name);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    }
    expect(s.appKey).toBe(readFileSync(join(storage, 'keys', 'app-key'), 'utf8').trim());
    expect(s.aesKey).toEqual(Buffer.from(readFileSync(join(storage, 'keys', 'aes-key'), 'utf8').trim(), 'hex'));
    expect(statSync(join(storage, 'keys')).mode & 0o777).toBe(0o700);
    expect(warn).toHaveLength(2);
    expect(warn[0]).toContain('APP_KEY is not set: generated a random key');
    expect(error).toEqual([]);
    for (const line of warn) {
      expect(line).not.toContain(s.appKey);
      expect(line).not.toContain(s.aesKey.toString('hex'));
    }
  });

  it('reuses the key files on the next start, silently on a single node', () => {
    const first = loadSecrets({ storagePath: storage, clustered: false, log: logger().log });
    const { log, warn, error } = logger();
    const second = loadSecrets({ storagePath: storage, clustered: false, log });
    expect(second.appKey).toBe(first.appKey);
    expect(second.aesKey).toEqual(first.aesKey);
    expect(second.generated).toEqual([]);
    expect([...warn, ...error]).toEqual([]);
  });

  it('logs at error level when a clustered node generates its keys', () => {
    const { log, warn, error } = logger();
    loadSecrets({ storagePath: storage, clustered: true, log });
    expect(warn).toEqual([]);
    expect(error).toHaveLength(2);
    expect(error[0]).toMatch(/APP_KEY is not set on a clustered node: GENERATED/);
    expect(error[1]).toMatch(/APP_AES_SECRET_KEY is not set on a clustered node: GENERATED/);
  });

  it('warns a clustered node that reuses a key file that every node must share it', () => {
    loadSecrets({ storagePath: storage, clustered: false, log: logger().log });
    const { log, warn, error } = logger();
    loadSecrets({ storagePath: storage, clustered: true, log });
    expect(error).toEqual([]);
    expect(warn).toHaveLength(2);
    expect(warn[0]).toContain('every node must share it');
  });

  it('generates only the missing key', () => {
    const { log } = logger();
    const s = loadSecrets({ appKey: 'cadd94630835acd7ca97df69a6ec1865cf2aa0e6', storagePath: storage, clustered: false, log });
    expect(s.generated).toEqual(['APP_AES_SECRET_KEY']);
    expect(s.sources.appKey).toBe('env');
    expect(() => statSync(join(storage, 'keys', 'app-key'))).toThrow();
  });

  it('refuses a key file holding a bad AES key, naming the file but not its content', () => {
    mkdirSync(join(storage, 'keys'), { recursive: true });
    writeFileSync(join(storage, 'keys', 'aes-key'), 'deadbeef\n', { mode: 0o600 });
    const err = refusal(() => loadSecrets({ appKey: 'cadd94630835acd7ca97df69a6ec1865cf2aa0e6', storagePath: storage, clustered: false, log: logger().log }));
    expect(err.problems).toEqual([
      `APP_AES_SECRET_KEY: the key file ${join(storage, 'keys', 'aes-key')} must be exactly 64 hexadecimal characters (a 32-byte AES-256 key), got 8 characters`,
    ]);
    expect(err.message).not.toContain('deadbeef');
  });

  it('warns about a key file others can read', () => {
    mkdirSync(join(storage, 'keys'), { recursive: true });
    writeFileSync(join(storage, 'keys', 'aes-key'), HEX);
    chmodSync(join(storage, 'keys', 'aes-key'), 0o644);
    const { log, warn } = logger();
    loadSecrets({ appKey: 'cadd94630835acd7ca97df69a6ec1865cf2aa0e6', storagePath: storage, clustered: false, log });
    expect(warn).toEqual([expect.stringContaining('readable by other users (mode 0644)')]);
  });

  it('refuses to start when the storage folder cannot be written', () => {
    writeFileSync(join(storage, 'keys'), 'not a folder');
    const err = refusal(() => loadSecrets({ storagePath: storage, clustered: false, log: logger().log }));
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toMatch(/^APP_KEY: not set and its key file .* cannot be read or written/);
  });
});
