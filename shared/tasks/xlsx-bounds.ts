import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { cbError } from '../errors/index.js';
import type { XlsxLimits } from './types.js';

/**
 * Bounds an xlsx (a zip) before exceljs parses it: a zip bomb or a shared-strings table expanding to
 * millions of strings is refused with a 400 naming the limit, in bounded memory. The central directory
 * gives the entries; each entry is inflated (streamed, nothing kept) counting its real output bytes,
 * and xl/sharedStrings.xml's `<si` elements are counted as they stream. The local entries must follow
 * one another exactly as the directory says (no hidden data a streaming reader would see and this
 * check would not).
 */

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

interface Entry {
  readonly name: string;
  readonly method: number;
  readonly compressed: number;
  readonly flags: number;
  readonly offset: number;
}

const bad = (why: string) => cbError('CB_ERR_TASK_BAD_FILE', `The file is not a readable xlsx workbook: ${why}`);
const over = (setting: string, limit: number, what: string) => cbError('CB_ERR_TASK_FILE_LIMIT', `The spreadsheet ${what}: more than ${setting} (${limit})`);

async function readAt(fd: Awaited<ReturnType<typeof open>>, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fd.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

async function centralDirectory(path: string, limits: XlsxLimits): Promise<{ entries: Entry[]; directoryOffset: number }> {
  const fd = await open(path, 'r');
  try {
    const size = (await fd.stat()).size;
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = await readAt(fd, size - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw bad('no zip directory');
    const count = tail.readUInt16LE(at + 10);
    const dirSize = tail.readUInt32LE(at + 12);
    const dirOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || dirOffset === 0xffffffff) throw bad('zip64 archives are not accepted');
    if (count > limits.maxEntries) throw over('IMPORT_XLSX_MAX_ENTRIES', limits.maxEntries, `has ${count} zip entries`);
    if (dirOffset + dirSize > size) throw bad('the zip directory is out of bounds');
    const dir = await readAt(fd, dirOffset, dirSize);
    const entries: Entry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL) throw bad('a damaged zip directory');
      const nameLength = dir.readUInt16LE(p + 28);
      entries.push({
        flags: dir.readUInt16LE(p + 8),
        method: dir.readUInt16LE(p + 10),
        compressed: dir.readUInt32LE(p + 20),
        offset: dir.readUInt32LE(p + 42),
        name: dir.toString('utf8', p + 46, p + 46 + nameLength),
      });
      p += 46 + nameLength + dir.readUInt16LE(p + 30) + dir.readUInt16LE(p + 32);
    }
    entries.sort((a, b) => a.offset - b.offset);
    // Each entry's data starts after its local header; the next entry (or the directory) follows it.
    let expected = 0;
    const starts: number[] = [];
    for (const e of entries) {
      if (e.offset !== expected) throw bad('zip entries that the directory does not describe');
      const local = await readAt(fd, e.offset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw bad('a damaged zip entry');
      const start = e.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      starts.push(start);
      expected = start + e.compressed;
      if (e.flags & 8) {
        // A data descriptor follows: 12 bytes, or 16 with its optional signature.
        const sig = (await readAt(fd, expected, 4)).readUInt32LE(0);
        expected += sig === 0x08074b50 ? 16 : 12;
      }
    }
    if (expected !== dirOffset) throw bad('zip entries that the directory does not describe');
    return { entries: entries.map((e, i) => ({ ...e, offset: starts[i]! })), directoryOffset: dirOffset };
  } finally {
    await fd.close();
  }
}

/** Inflates every entry without keeping it; throws CB_ERR_TASK_FILE_LIMIT at the first limit passed. */
export async function checkXlsxBounds(path: string, limits: XlsxLimits): Promise<void> {
  const { entries } = await centralDirectory(path, limits);
  let total = 0;
  for (const entry of entries) {
    if (entry.method !== 0 && entry.method !== 8) throw bad(`unsupported compression in ${entry.name}`);
    const counting = entry.name === 'xl/sharedStrings.xml';
    let strings = 0;
    let carry = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        total += chunk.length;
        if (total > limits.maxUncompressed) return done(over('IMPORT_XLSX_MAX_UNCOMPRESSED', limits.maxUncompressed, 'decompresses to too many bytes'));
        if (counting) {
          const text = carry + chunk.toString('latin1');
          for (let i = text.indexOf('<si'); i >= 0; i = text.indexOf('<si', i + 3)) {
            const next = text[i + 3];
            if (next === '>' || next === ' ' || next === '/' || next === '\t' || next === '\n' || next === '\r') strings++;
            else if (next === undefined) break; // decided with the next chunk (kept in `carry`)
          }
          carry = text.slice(-3);
          if (strings > limits.maxSharedStrings) return done(over('IMPORT_XLSX_MAX_SHARED_STRINGS', limits.maxSharedStrings, 'has too many shared strings'));
        }
        done();
      },
    });
    if (entry.compressed === 0) continue;
    const source = createReadStream(path, { start: entry.offset, end: entry.offset + entry.compressed - 1 });
    try {
      await (entry.method === 8 ? pipeline(source, createInflateRaw(), sink) : pipeline(source, sink));
    } catch (err) {
      if ((err as { type?: string }).type) throw err;
      throw bad(`${entry.name} cannot be inflated`);
    }
  }
}
