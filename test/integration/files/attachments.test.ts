import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ServiceBroker } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import FilesService = require('../../../services/files.service');
import UsersService = require('../../../services/users.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Json } from '../../support/http';
import { startInProcessNode } from '../../support/in-process-node';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { requireServices } from '../../support/services';

/**
 * NocoBase's file manager: attachments:create (multipart) into the local storage under STORAGE_PATH
 * and into an S3-compatible server (s3rver, started here), download, limits checked while the upload
 * streams in, attachments as relation targets, and removal of the files with their records.
 */
describe('attachments and storages', () => {
  const schema = uniqueSchema('att');
  let broker: ServiceBroker;
  let origin = '';
  let storagePath = '';
  let root = '';
  let member = '';
  let s3: S3Server;
  const call = jsonCaller(() => origin, () => root);
  const files = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);

  const upload = async (bytes: Buffer, name: string, type: string, token = member, query = '') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
    const res = await fetch(`${origin}/api/attachments:create${query}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, body: form });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const download = async (url: string, token = member) => {
    const res = await fetch(`${origin}${url}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    await requireServices('postgres');
    s3 = await startS3Server();
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, UsersService, FilesService]);
    broker = node.broker;
    storagePath = node.config.storagePath;
    origin = node.api.replace(/\/api$/, '');
    root = (await call('POST', '/api/auth:signIn', { account: 'nocobase', password: 'admin123' }, '')).body.data.token;
    await call('POST', '/api/users:create', { username: 'max', password: 'max-password-1' });
    member = (await call('POST', '/api/auth:signIn', { account: 'max', password: 'max-password-1' }, '')).body.data.token;
  });

  afterAll(async () => {
    await broker?.stop();
    await s3?.stop();
    await dropSchemas(schema);
  });

  test('an upload to the default local storage is stored under STORAGE_PATH and downloadable', async () => {
    const bytes = Buffer.from('hello, attachments\n'.repeat(100));
    const made = await upload(bytes, 'notes.txt', 'text/plain');
    expect(made.status).toBe(200);
    expect(made.body.data).toMatchObject({ title: 'notes', extname: '.txt', size: bytes.length, mimetype: 'text/plain', storageId: 1, createdById: expect.any(Number) });
    expect(made.body.data.filename).toMatch(/^[0-9a-f]{32}\.txt$/);
    expect(made.body.data.url).toBe(`/api/attachments:download?filterByTk=${made.body.data.id}`);
    expect(files(join(storagePath, 'uploads'))).toEqual([made.body.data.filename]);
    expect(files(join(storagePath, 'tmp', 'uploads'))).toEqual([]);
    const got = await download(made.body.data.url);
    expect(got.status).toBe(200);
    expect(got.type).toMatch(/^text\/plain/);
    expect(got.bytes.equals(bytes)).toBe(true);
    // The record is a collection record: listed (with its creator appended) by the data API.
    const list = await call('GET', '/api/attachments:list?appends=createdBy');
    expect(list.body.errors).toBeUndefined();
    const listed = list.body.data;
    expect(listed[0]).toMatchObject({ id: made.body.data.id, createdBy: { username: 'max' } });
  });

  test('an upload without a token is refused before anything is stored', async () => {
    const made = await upload(Buffer.alloc(2048, 1), 'x.bin', 'application/octet-stream', '');
    expect(made.status).toBe(401);
    expect(files(join(storagePath, 'tmp', 'uploads'))).toEqual([]);
  });

  test('a storage’s size and type limits refuse an upload while it streams in; nothing is stored', async () => {
    expect((await call('POST', '/api/storages:update?filterByTk=1', { rules: { size: 1000, mimetype: 'image/*,text/plain' } })).status).toBe(200);
    const before = files(join(storagePath, 'uploads'));
    const big = await upload(Buffer.alloc(300_000, 7), 'big.txt', 'text/plain');
    expect(big.status).toBe(413);
    expect(big.body.errors[0].code).toBe('CB_ERR_FILE_TOO_LARGE');
    const typed = await upload(Buffer.from('%PDF-1.4'), 'doc.pdf', 'application/pdf');
    expect(typed.status).toBe(415);
    expect(files(join(storagePath, 'uploads'))).toEqual(before);
    expect(files(join(storagePath, 'tmp', 'uploads'))).toEqual([]);
    expect((await upload(Buffer.from('small'), 'ok.txt', 'text/plain')).status).toBe(200);
    await call('POST', '/api/storages:update?filterByTk=1', { rules: { size: 20 * 1024 * 1024 } });
  });

  test('an s3 storage named by an attachment field stores through the S3 API; records link, append and remove their files', async () => {
    const storage = await call('POST', '/api/storages:create', {
      name: 'objects',
      title: 'Objects',
      type: 's3',
      path: 'team/files',
      options: { bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    expect(storage.body.errors).toBeUndefined();
    expect(storage.body.data.options).not.toHaveProperty('secretAccessKey');
    expect(JSON.stringify((await call('GET', '/api/storages:list')).body.data)).not.toContain('secretAccessKey');
    expect((await call('GET', '/api/storages:list', undefined, member)).status).toBe(403);

    const made = await call('POST', '/api/collections:create', {
      name: 'reports',
      fields: [{ name: 'title', type: 'string' }, { name: 'files', type: 'belongsToMany', target: 'attachments', interface: 'attachment', storage: 'objects' }],
    });
    expect(made.body.errors).toBeUndefined();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(5000, 3)]);
    const att = await upload(png, 'chart.png', 'image/png', member, '?attachmentField=reports.files');
    expect(att.status).toBe(200);
    expect(att.body.data).toMatchObject({ storageId: storage.body.data.id, path: 'team/files', mimetype: 'image/png' });
    const key = `team/files/${att.body.data.filename}`;
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    const stored = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(png)).toBe(true);
    expect((await download(att.body.data.url)).bytes.equals(png)).toBe(true);

    const report = await call('POST', '/api/reports:create', { title: 'Q4' }, member);
    expect(report.body.errors).toBeUndefined();
    expect((await call('POST', `/api/reports/${report.body.data.id}/files:add`, [att.body.data.id], member)).status).toBe(200);
    const listed = (await call('GET', `/api/reports:get?filterByTk=${report.body.data.id}&appends=files`, undefined, member)).body.data;
    expect(listed.files).toEqual([expect.objectContaining({ id: att.body.data.id, filename: att.body.data.filename, url: att.body.data.url })]);

    // Records pointing at a storage key come only from attachments:create.
    expect((await call('POST', '/api/attachments:updateOrCreate', { filterKeys: ['filename'], filename: 'x', path: 'elsewhere' }, member)).status).toBe(400);
    // Where a file is cannot be changed through update; its title can.
    expect((await call('POST', `/api/attachments:update?filterByTk=${att.body.data.id}`, { title: 'Chart', filename: 'other.png' }, member)).status).toBe(200);
    expect((await call('GET', `/api/attachments:get?filterByTk=${att.body.data.id}`)).body.data).toMatchObject({ title: 'Chart', filename: att.body.data.filename });

    expect((await call('POST', `/api/attachments:destroy?filterByTk=${att.body.data.id}`, undefined, member)).body.data).toBe(1);
    await expect(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect((await download(att.body.data.url)).status).toBe(404);
    client.destroy();
  });

  test('the system settings’ logo is an attachment', async () => {
    const logo = await upload(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), 'logo.png', 'image/png', root);
    expect((await call('POST', '/api/systemSettings:put', { logo: logo.body.data })).status).toBe(200);
    expect((await call('GET', '/api/systemSettings:get', undefined, '')).body.data).toMatchObject({ logoId: logo.body.data.id, logo: { id: logo.body.data.id, url: logo.body.data.url, mimetype: 'image/png' } });
    expect((await call('POST', '/api/systemSettings:put', { logo: null })).body.data.logo).toBeNull();
  });

  test('an own-records scope on attachments limits who downloads what', async () => {
    await call('POST', '/api/roles:create', { name: 'uploader', strategy: { actions: ['create', 'view:own', 'destroy:own'] } });
    await call('POST', '/api/users:create', { username: 'una', password: 'una-password-1', roles: ['uploader'] });
    const una = (await call('POST', '/api/auth:signIn', { account: 'una', password: 'una-password-1' }, '')).body.data.token;
    const mine = await upload(Buffer.from('una’s'), 'una.txt', 'text/plain', una);
    const theirs = await upload(Buffer.from('max’s'), 'max.txt', 'text/plain', member);
    expect((await download(mine.body.data.url, una)).status).toBe(200);
    expect((await download(theirs.body.data.url, una)).status).toBe(404);
    expect((await call('POST', `/api/attachments:destroy?filterByTk=${theirs.body.data.id}`, undefined, una)).status).toBe(403);
    expect((await download(theirs.body.data.url)).status).toBe(200);
  });
});
