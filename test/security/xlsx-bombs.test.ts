import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { xlsxOf } from '../integration/tasks/support';
import { startAbuseNode, type AbuseNode } from './support';

const COLUMNS = JSON.stringify([{ dataIndex: ['title'], defaultTitle: 'Title' }]);
const MB = 2 ** 20;

/** A real xlsx (header `Title`) with some of its zip entries replaced or added. */
async function tampered(change: (zip: JSZip) => void): Promise<Buffer> {
  const zip = await JSZip.loadAsync(await xlsxOf([['Title'], ['a']]));
  change(zip);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

/** Peak heap growth of this process (the node runs in it) while `work` runs. */
async function heapGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
  try {
    const result = await work();
    return { result, growth: Math.max(peak, process.memoryUsage().heapUsed) - base };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Item 2 (spreadsheets): a 491 KB xlsx whose shared-strings table expanded to 3 million strings
 * crashed a node out of memory during the header check. The zip is now bounded before exceljs reads
 * it: decompressed size, entries and shared strings, each a 400 naming its setting, in bounded memory.
 */
describe('abuse: xlsx bombs', () => {
  let n: AbuseNode;

  beforeAll(async () => {
    n = await startAbuseNode({ IMPORT_XLSX_MAX_UNCOMPRESSED: '64mb' });
    expect((await n.api.call('POST', 'collections:create', { name: 'things', fields: [{ name: 'title', type: 'string' }] }, n.admin)).status).toBe(200);
  });

  afterAll(async () => {
    await n?.stop();
  });

  const upload = (file: Buffer) => n.api.upload('things:importXlsx', file, 'bomb.xlsx', { columns: COLUMNS }, n.member);
  const stillServing = async () => expect((await n.api.call('GET', 'things:list', undefined, n.member)).status).toBe(200);
  const nothingStaged = () => expect(readdirSync(join(n.node.config.storagePath, 'tmp', 'uploads'))).toEqual([]);

  test('a shared-strings table of 3 million strings (well under 1 MB zipped) is a 400 naming the limit; the heap stays bounded', async () => {
    const strings = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3000002" uniqueCount="3000002"><si><t>Title</t></si><si><t>a</t></si>${'<si><t>x</t></si>'.repeat(3_000_000)}</sst>`;
    const file = await tampered((zip) => zip.file('xl/sharedStrings.xml', strings));
    expect(file.length).toBeLessThan(MB);
    const { result, growth } = await heapGrowth(() => upload(file));
    expect(result.status).toBe(400);
    expect(result.body.errors![0]).toMatchObject({ code: 'CB_ERR_TASK_FILE_LIMIT' });
    expect(result.body.errors![0]!.message).toContain('IMPORT_XLSX_MAX_SHARED_STRINGS (1000000)');
    expect(growth).toBeLessThan(100 * MB);
    await stillServing();
    nothingStaged();
  });

  test('a sheet that decompresses past IMPORT_XLSX_MAX_UNCOMPRESSED is a 400 naming it', async () => {
    const file = await tampered((zip) => {
      const sheet = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Title</t></is></c></row>' + ' '.repeat(80 * MB) + '</sheetData></worksheet>';
      zip.file('xl/worksheets/sheet1.xml', sheet);
    });
    expect(file.length).toBeLessThan(MB);
    const { result, growth } = await heapGrowth(() => upload(file));
    expect(result.status).toBe(400);
    expect(result.body.errors![0]!.message).toContain(`IMPORT_XLSX_MAX_UNCOMPRESSED (${64 * MB})`);
    expect(growth).toBeLessThan(100 * MB);
    await stillServing();
    nothingStaged();
  });

  test('a zip of more than IMPORT_XLSX_MAX_ENTRIES entries is a 400 naming it', async () => {
    const file = await tampered((zip) => {
      for (let i = 0; i < 1000; i++) zip.file(`xl/media/pad${i}.bin`, 'x');
    });
    const result = await upload(file);
    expect(result.status).toBe(400);
    expect(result.body.errors![0]!.message).toMatch(/zip entries: more than IMPORT_XLSX_MAX_ENTRIES \(1000\)/);
    nothingStaged();
  });

  test('an ordinary xlsx is still accepted', async () => {
    const result = await upload(await xlsxOf([['Title'], ['one'], ['two']]));
    expect(result.status).toBe(202);
  });
});

describe('abuse: the header check runs in a worker with its own heap', () => {
  let n: AbuseNode;

  beforeAll(async () => {
    // Bounds wide enough to let the 3-million-string table through: only the worker's heap limit stops it.
    n = await startAbuseNode({ IMPORT_XLSX_MAX_SHARED_STRINGS: '100000000', IMPORT_CHECK_MAX_HEAP: '64' });
    expect((await n.api.call('POST', 'collections:create', { name: 'things', fields: [{ name: 'title', type: 'string' }] }, n.admin)).status).toBe(200);
  });

  afterAll(async () => {
    await n?.stop();
  });

  test('a spreadsheet needing more than IMPORT_CHECK_MAX_HEAP to read is a 400 naming it; the node heap is untouched', async () => {
    const strings = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Title</t></si><si><t>a</t></si>${Array.from({ length: 3_000_000 }, (_, i) => `<si><t>distinct string ${i}</t></si>`).join('')}</sst>`;
    const file = await tampered((zip) => zip.file('xl/sharedStrings.xml', strings));
    const { result, growth } = await heapGrowth(() => n.api.upload('things:importXlsx', file, 'big.xlsx', { columns: COLUMNS }, n.member));
    expect(result.status).toBe(400);
    expect(result.body.errors![0]!.message).toContain('IMPORT_CHECK_MAX_HEAP (64 MB)');
    expect(growth).toBeLessThan(100 * MB);
    expect((await n.api.call('GET', 'things:list', undefined, n.member)).status).toBe(200);
    // The worker is gone and the next import is read as usual.
    expect((await n.api.upload('things:importXlsx', await xlsxOf([['Title'], ['one']]), 'ok.xlsx', { columns: COLUMNS }, n.member)).status).toBe(202);
  });
});
