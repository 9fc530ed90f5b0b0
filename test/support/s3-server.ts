import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver = require('s3rver');

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  /** s3rver's built-in account. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

/**
 * A real S3-compatible server for the test (s3rver, an npm package implementing the S3 REST API on a
 * folder), on a free port with one bucket. A test that needs it fails with a message naming it when it
 * cannot start.
 */
export async function startS3Server(bucket = 'attachments'): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'cb-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  let address: AddressInfo;
  try {
    address = (await server.run()) as AddressInfo;
  } catch (err) {
    throw new Error(`the S3-compatible test server (s3rver) could not start: ${(err as Error).message}`, { cause: err });
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
