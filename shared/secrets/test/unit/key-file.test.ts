import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOrCreateKeyFile } from '../../index.js';

describe('readOrCreateKeyFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-keyfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file once; later calls read it and never call the generator', () => {
    const path = join(dir, 'keys', 'k');
    const first = readOrCreateKeyFile(path, () => 'first-value');
    expect(first).toEqual({ text: 'first-value', created: true, mode: 0o600 });
    const second = readOrCreateKeyFile(path, () => {
      throw new Error('must not generate');
    });
    expect(second).toEqual({ text: 'first-value', created: false, mode: 0o600 });
  });

  it('uses the key of a process that created the file first, after this one looked', () => {
    const path = join(dir, 'k');
    const result = readOrCreateKeyFile(path, () => {
      writeFileSync(path, 'theirs\n', { mode: 0o600 }); // the other process wins the race here
      return 'mine';
    });
    expect(result).toEqual({ text: 'theirs', created: false, mode: 0o600 });
    expect(readdirSync(dir)).toEqual(['k']);
  });

  it('leaves no temporary file behind', () => {
    readOrCreateKeyFile(join(dir, 'k'), () => 'v');
    expect(readdirSync(dir)).toEqual(['k']);
  });
});
