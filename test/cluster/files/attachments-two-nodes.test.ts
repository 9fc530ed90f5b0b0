import { randomBytes } from 'node:crypto';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import FilesService = require('../../../services/files.service');
import UsersService = require('../../../services/users.service');
import { clusterEnv } from '../../support/cluster-env';
import { dropSchemas, uniqueSchema } from '../../support/database';
import type { Json } from '../../support/http';
import { startInProcessNode, type InProcessNode } from '../../support/in-process-node';
import { tempStorage } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { requireServices } from '../../support/services';

/**
 * Two gateways of one cluster over NATS sharing STORAGE_PATH: a file uploaded through node A is
 * downloaded through node B, from the local storage and from an S3-compatible server (s3rver).
 */
describe('attachments across two nodes', () => {
  const schema = uniqueSchema('att2');
  const env = {
    ...clusterEnv({ schema, namespace: `att${randomBytes(4).toString('hex')}`, storage: tempStorage(), appKey: `att-two-nodes-${randomBytes(16).toString('hex')}`, aesKey: randomBytes(32).toString('hex') }),
    LOG_LEVEL: 'fatal',
  };
  const nodes: InProcessNode[] = [];
  let s3: S3Server;
  let root = '';

  const json = async (node: InProcessNode, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node.api}/${path}`, { method, headers: { authorization: `Bearer ${root}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return (await res.json()) as Json;
  };
  const upload = async (node: InProcessNode, bytes: Buffer, query = '') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), 'data.bin');
    const res = await fetch(`${node.api}/attachments:create${query}`, { method: 'POST', headers: { authorization: `Bearer ${root}` }, body: form });
    return (await res.json()) as Json;
  };
  const download = async (node: InProcessNode, url: string) => {
    const res = await fetch(`${node.api.replace(/\/api$/, '')}${url}`, { headers: { authorization: `Bearer ${root}` } });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    await requireServices('postgres', 'redis', 'nats');
    s3 = await startS3Server();
    for (let i = 0; i < 2; i++) nodes.push(await startInProcessNode(schema, [ApiService, AuthService, DataService, UsersService, FilesService], { ...env, NODE_ID: `att-node-${i}` }));
    const res = await fetch(`${nodes[0]!.api}/auth:signIn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: 'nocobase', password: ROOT_PASSWORD }) });
    root = ((await res.json()) as Json).data.token;
  });

  afterAll(async () => {
    for (const n of nodes) await n.broker.stop();
    await s3?.stop();
    await dropSchemas(schema);
  });

  test('an upload to the local storage on node A is downloadable through node B', async () => {
    const [a, b] = nodes as [InProcessNode, InProcessNode];
    const bytes = randomBytes(64 * 1024);
    const made = await upload(a, bytes);
    expect(made.errors).toBeUndefined();
    const got = await download(b, made.data.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  test('the same through the s3 adapter', async () => {
    const [a, b] = nodes as [InProcessNode, InProcessNode];
    const storage = await json(a, 'POST', 'storages:create', {
      name: 's3', type: 's3', options: { bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    expect(storage.errors).toBeUndefined();
    expect((await json(b, 'POST', 'collections:create', { name: 'albums', fields: [{ name: 'photos', type: 'belongsToMany', target: 'attachments', interface: 'attachment', storage: 's3' }] })).errors).toBeUndefined();
    const bytes = randomBytes(128 * 1024);
    const made = await upload(a, bytes, '?attachmentField=albums.photos');
    expect(made.data).toMatchObject({ storageId: storage.data.id, size: bytes.length });
    const got = await download(b, made.data.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
  });
});
