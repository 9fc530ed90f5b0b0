import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { cbError } from '../errors/index.js';

export interface UploadPart {
  readonly field: string;
  readonly fileName: string;
  readonly mimeType: string;
}

/**
 * Reads a multipart/form-data body part by part (never buffered). Each file is handed to `stage`
 * as a stream while it arrives — the action behind the route writes it to shared storage, enforcing
 * its own size limit — and what `stage` answers becomes `files[<field>]`. Text fields become `values`.
 * Staging through the action (rather than in the gateway) keeps the size limit and the storage
 * location with the node that owns them, and files may come before the fields that describe them
 * (NocoBase's client sends `file` first, then `columns`). The first file part of a name wins.
 */
export async function readMultipart(
  req: FastifyRequest,
  stage: (stream: Readable, part: UploadPart) => Promise<unknown>,
  /** Total bytes of all text fields together (HTTP_BODY_LIMIT): more is a 413, the rest unread. */
  maxFieldBytes = Number.POSITIVE_INFINITY,
): Promise<{ values: Record<string, unknown>; files: Record<string, unknown> }> {
  const values: Record<string, unknown> = {};
  const files: Record<string, unknown> = {};
  let fieldBytes = 0;
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      // A second file part with the same name is drained unread: the first one's staged file is kept
      // (overwriting it would leave it on disk, referenced by nothing).
      if (part.fieldname in files) {
        part.file.resume();
        continue;
      }
      try {
        files[part.fieldname] = await stage(part.file, { field: part.fieldname, fileName: part.filename, mimeType: part.mimetype });
      } finally {
        part.file.resume(); // whatever the action did not read is drained, so the next part can come
      }
    } else {
      fieldBytes += Buffer.byteLength(String(part.value ?? '')) + Buffer.byteLength(part.fieldname);
      if (fieldBytes > maxFieldBytes) {
        throw cbError('CB_ERR_HTTP_BODY_TOO_LARGE', `The text fields of the multipart body are larger than ${maxFieldBytes} bytes (HTTP_BODY_LIMIT)`);
      }
      values[part.fieldname] = part.value;
    }
  }
  return { values, files };
}
