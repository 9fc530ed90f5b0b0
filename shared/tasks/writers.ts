import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify';
import type { FieldMeta } from '../data/index.js';
import { csvCell, neutralizeFormula, xlsxCell } from './cells.js';

/** Where export rows go, one at a time (nothing is kept: constant memory whatever the row count). */
export interface RowWriter {
  row(raw: readonly unknown[]): Promise<void>;
  /** Flushes and closes the output; resolves once everything is written. */
  finish(): Promise<void>;
}

export interface WriterColumn {
  readonly title: string;
  readonly field: FieldMeta;
}

export const CONTENT_TYPES = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
} as const;

const DATE_FORMATS: Partial<Record<string, string>> = { date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm:ss' };

/** xlsx through exceljs' streaming WorkbookWriter: sheet `Data` (as NocoBase), row 1 = titles, typed cells. */
export function xlsxWriter(output: Writable, columns: readonly WriterColumn[], aesKey?: Buffer): RowWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet('Data');
  sheet.columns = columns.map((c, i) => ({ header: c.title, key: `c${i}`, width: Math.min(60, Math.max(10, c.title.length + 2)), style: DATE_FORMATS[c.field.type] ? { numFmt: DATE_FORMATS[c.field.type] } : {} }));
  return {
    async row(raw) {
      sheet.addRow(columns.map((c, i) => xlsxCell(c.field, raw[i], aesKey))).commit();
    },
    async finish() {
      sheet.commit();
      await workbook.commit();
    },
  };
}

/** CSV through csv-stringify: header row of titles, RFC 4180 quoting, waits on backpressure. */
export function csvWriter(output: Writable, columns: readonly WriterColumn[], aesKey?: Buffer): RowWriter {
  const csv = stringify({ bom: true, cast: { boolean: (v) => (v ? 'true' : 'false') } });
  csv.pipe(output);
  const done = new Promise<void>((resolve, reject) => {
    output.once('finish', resolve);
    output.once('error', reject);
    output.once('close', () => reject(new Error('the export output was closed before the end'))); // no-op after finish
    csv.once('error', reject);
  });
  done.catch(() => undefined); // awaited in finish(); a write that failed first never gets there
  // Waits on backpressure, but not on an output that went away (a client that left an inline
  // download): `drain` would never come and the export's cursor transaction would stay open for good.
  const write = async (cells: unknown[]) => {
    if (output.destroyed) throw new Error('the export output was closed before the end');
    if (csv.write(cells)) return;
    await new Promise<void>((resolve, reject) => {
      const drained = () => (cleanup(), resolve());
      const closed = () => (cleanup(), reject(new Error('the export output was closed before the end')));
      const cleanup = () => (csv.off('drain', drained), output.off('close', closed));
      csv.once('drain', drained);
      output.once('close', closed);
    });
  };
  let headed = false;
  return {
    async row(raw) {
      if (!headed) {
        headed = true;
        await write(columns.map((c) => neutralizeFormula(c.title)));
      }
      await write(columns.map((c, i) => csvCell(c.field, raw[i], aesKey)));
    },
    async finish() {
      if (!headed) {
        headed = true;
        await write(columns.map((c) => neutralizeFormula(c.title)));
      }
      csv.end();
      await done;
    },
  };
}

export function rowWriter(format: 'xlsx' | 'csv', output: Writable, columns: readonly WriterColumn[], aesKey?: Buffer): RowWriter {
  return format === 'csv' ? csvWriter(output, columns, aesKey) : xlsxWriter(output, columns, aesKey);
}
