import { AsyncLocalStorage } from 'node:async_hooks';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse';
import { neutralizeFormula } from './cells.js';
import { cbError } from '../errors/index.js';
import type { XlsxLimits } from './types.js';
import { checkXlsxBounds } from './xlsx-bounds.js';

/** A row of an import file: its number in the file (1-based) and its cells (0-based). */
export interface FileRow {
  readonly line: number;
  readonly cells: readonly unknown[];
}

/**
 * exceljs' streaming reader copies a worksheet that precedes sharedStrings.xml in the zip (exceljs's
 * own files, Excel's often) to a temp file under os.tmpdir() (the `tmp` package), and removes it only
 * when the sheet was read to its end. A reader left early (checkHeader, a stopped import) would keep
 * the whole uncompressed sheet on disk, and its descriptor open, until the process exits. So each read
 * registers the temp files made on its behalf (AsyncLocalStorage across exceljs's awaits) and
 * removes them in its `finally`.
 */
const tempFiles = new AsyncLocalStorage<Array<() => void>>();
type TmpFile = (cb: (err: Error | null, path: string, fd: number, cleanup: () => void) => void) => void;
const tmp = createRequire(require.resolve('exceljs'))('tmp') as { file: TmpFile & { cbTracked?: boolean } };
if (!tmp.file.cbTracked) {
  const original = tmp.file;
  const tracked = ((...args: unknown[]) => {
    const registry = tempFiles.getStore();
    const cb = args.at(-1);
    if (!registry || typeof cb !== 'function') return (original as (...a: unknown[]) => void)(...args);
    return (original as (...a: unknown[]) => void)(...args.slice(0, -1), (err: Error | null, path: string, fd: number, cleanup: () => void) => {
      if (!err) registry.push(cleanup);
      (cb as (...a: unknown[]) => void)(err, path, fd, cleanup);
    });
  }) as TmpFile & { cbTracked?: boolean };
  tracked.cbTracked = true;
  tmp.file = tracked;
}

/** Rows scanned for the header row before giving up (explain rows above it are fine, as NocoBase). */
export const HEADER_SCAN_ROWS = 50;

/**
 * Every row of the first sheet (xlsx, exceljs streaming reader) or of the CSV file, streamed. The
 * file is opened here and closed in `finally`, also when the caller stops early (checkHeader stops at
 * the header row, a stopped import mid-file): `pipe` never closes its source, and an unread
 * fs.ReadStream would keep its descriptor (and a removed file's disk space) for the node's lifetime.
 */
export async function* fileRows(path: string, format: 'xlsx' | 'csv'): AsyncGenerator<FileRow> {
  const source = createReadStream(path);
  try {
    if (format === 'csv') {
      const parser = source.pipe(parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }));
      source.once('error', (err) => parser.destroy(err));
      let line = 0;
      try {
        for await (const record of parser as AsyncIterable<string[]>) yield { line: ++line, cells: record };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).syscall) throw err; // the file system's fault, not the file's
        throw cbError('CB_ERR_TASK_BAD_FILE', `The file is not valid CSV: ${(err as Error).message}`);
      } finally {
        parser.destroy();
      }
      return;
    }
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'emit' });
    const temps: Array<() => void> = [];
    const within = <T>(it: AsyncIterator<T>) => tempFiles.run(temps, () => it.next());
    const sheets = reader[Symbol.asyncIterator]() as AsyncIterator<AsyncIterable<ExcelJS.Row>>;
    try {
      const first = await within(sheets);
      if (!first.done) {
        const rows = first.value[Symbol.asyncIterator]();
        try {
          for (let next = await within(rows); !next.done; next = await within(rows)) {
            // exceljs rows are 1-based with a hole at 0.
            const row = next.value;
            const values = Array.isArray(row.values) ? (row.values as unknown[]).slice(1) : [];
            yield { line: row.number, cells: values };
          }
        } finally {
          await rows.return?.().catch(() => undefined);
        }
      }
      // the first sheet only
    } catch (err) {
      if ((err as { type?: string }).type || (err as NodeJS.ErrnoException).syscall) throw err;
      throw cbError('CB_ERR_TASK_BAD_FILE', `The file is not a readable xlsx workbook: ${(err as Error).message}`);
    } finally {
      await sheets.return?.().catch(() => undefined);
      for (const cleanup of temps.splice(0)) {
        try {
          cleanup();
        } catch {
          // already removed
        }
      }
    }
  } finally {
    source.destroy();
  }
}

function text(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'object' && Array.isArray((cell as { richText?: unknown }).richText)) {
    return (cell as { richText: Array<{ text: string }> }).richText.map((r) => r.text).join('').trim();
  }
  return String(cell).trim();
}

/**
 * The header row: the first row (within HEADER_SCAN_ROWS) holding every expected title. Answers
 * its line and, per expected title, the cell index. None found: 400 naming the expected headers.
 */
export function findHeader(rows: readonly FileRow[], titles: readonly string[]): { line: number; index: number[] } | null {
  for (const row of rows) {
    const cells = row.cells.map(text);
    // A title that looks like a formula was exported with a leading `'` (neutralizeFormula).
    const index = titles.map((t) => (cells.includes(t) ? cells.indexOf(t) : cells.indexOf(neutralizeFormula(t))));
    if (index.every((i) => i >= 0)) return { line: row.line, index };
  }
  return null;
}

export function headersNotFound(titles: readonly string[]) {
  return cbError('CB_ERR_TASK_HEADERS_NOT_FOUND', `Headers not found. Expected headers: ${titles.join(', ')}`);
}

/**
 * Reads just enough of a file to find its header row (the API checks this before queueing a task).
 * An xlsx is first bounded (checkXlsxBounds): its decompressed size, entries and shared strings, so
 * neither this check nor the import that runs later can be made to expand it without limit.
 */
export async function checkHeader(path: string, format: 'xlsx' | 'csv', titles: readonly string[], limits: XlsxLimits): Promise<void> {
  if (format === 'xlsx') await checkXlsxBounds(path, limits);
  const rows: FileRow[] = [];
  for await (const row of fileRows(path, format)) {
    rows.push(row);
    if (findHeader([row], titles)) return;
    if (rows.length >= HEADER_SCAN_ROWS) break;
  }
  throw headersNotFound(titles);
}

/**
 * The data rows after the header row, as `{ row, cells }` with `row` = 1 for the first data row
 * (NocoBase's numbering) and cells ordered as `titles`. Blank rows are skipped (they keep their number).
 */
export async function* dataRows(path: string, format: 'xlsx' | 'csv', titles: readonly string[]): AsyncGenerator<{ row: number; cells: unknown[] }> {
  let header: { line: number; index: number[] } | null = null;
  const scanned: FileRow[] = [];
  for await (const fileRow of fileRows(path, format)) {
    if (!header) {
      scanned.push(fileRow);
      header = findHeader([fileRow], titles);
      if (!header && scanned.length >= HEADER_SCAN_ROWS) throw headersNotFound(titles);
      continue;
    }
    const cells = header.index.map((i) => fileRow.cells[i]);
    if (cells.every((c) => c === null || c === undefined || (typeof c === 'string' && c.trim() === ''))) continue;
    yield { row: fileRow.line - header.line, cells };
  }
  if (!header) throw headersNotFound(titles);
}
