import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import DataService = require('../../services/data.service');
import { uniqueSchema } from '../support/database';
import { startInProcessNode } from '../support/in-process-node';

const root = join(__dirname, '..', '..');

/**
 * Item 7: the deploy templates shipped `APP_KEY=change-me-…` and an all-zero AES key, and a node
 * started with them accepted root tokens forged offline. Such keys now refuse the start with one line
 * naming the variable, and the templates ship empty values.
 */
describe('abuse: placeholder secrets', () => {
  test.each([
    ['APP_KEY', { APP_KEY: 'change-me-to-a-long-random-secret' }],
    ['APP_KEY', { APP_KEY: 'a'.repeat(64) }],
    ['APP_KEY', { APP_KEY: 'secret-secret-secret' }],
    ['APP_AES_SECRET_KEY', { APP_AES_SECRET_KEY: '0'.repeat(64) }],
    ['APP_AES_SECRET_KEY', { APP_AES_SECRET_KEY: 'f'.repeat(64) }],
  ])('a node given a placeholder %s refuses to start, naming it', async (name, env) => {
    const start = startInProcessNode(uniqueSchema('weak'), [DataService], env);
    await expect(start).rejects.toThrow(new RegExp(`^[^]*${name}: (is a placeholder|is one character|must be at least|looks too little random)`));
    await start.catch((err: Error) => expect(err.message).not.toContain(Object.values(env)[0]));
  });

  test.each(['deploy/cluster.env', 'deploy/supervisor.env'])('%s ships empty keys with how to generate them', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(text).toMatch(/^APP_KEY=$/m);
    expect(text).toMatch(/^APP_AES_SECRET_KEY=$/m);
    expect(text).toContain('openssl rand -hex 32');
  });

  test('deploy/k8s/secret.yaml ships empty keys with how to generate them', () => {
    const text = readFileSync(join(root, 'deploy/k8s/secret.yaml'), 'utf8');
    expect(text).toMatch(/^ {2}APP_KEY: ""$/m);
    expect(text).toMatch(/^ {2}APP_AES_SECRET_KEY: ""$/m);
    expect(text).toContain('openssl rand -hex 32');
    expect(text).not.toMatch(/change-me-to|0{64}/);
  });
});
