import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { checkXlsxBounds } from '../../xlsx-bounds';

const dir = mkdtempSync(join(tmpdir(), 'cb-xlsx-bounds-'));
const LIMITS = { maxUncompressed: 64 * 2 ** 20, maxEntries: 10, maxSharedStrings: 100_000 };

/** Shared strings of varied lengths, so `<si` falls across inflate chunk boundaries. */
const sharedStrings = (n: number) =>
  `<sst count="${n}">${Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `<si><t>${'v'.repeat(i % 17)}</t></si>` : i % 3 === 1 ? `<si ><t>${i}</t></si>` : '<si/>')).join('<sheet/>')}</sst>`;

async function zipFile(name: string, files: Record<string, string>, compression: 'STORE' | 'DEFLATE'): Promise<string> {
  const zip = new JSZip();
  for (const [path, text] of Object.entries(files)) zip.file(path, text);
  const path = join(dir, name);
  writeFileSync(path, await zip.generateAsync({ type: 'nodebuffer', compression }));
  return path;
}

describe('checkXlsxBounds', () => {
  test.each(['STORE', 'DEFLATE'] as const)('%s: exactly the shared-strings limit passes, one more is refused', async (compression) => {
    const at = await zipFile(`at-${compression}.xlsx`, { 'xl/sharedStrings.xml': sharedStrings(100_000) }, compression);
    await expect(checkXlsxBounds(at, LIMITS)).resolves.toBeUndefined();
    const over = await zipFile(`over-${compression}.xlsx`, { 'xl/sharedStrings.xml': sharedStrings(100_001) }, compression);
    await expect(checkXlsxBounds(over, LIMITS)).rejects.toMatchObject({ type: 'CB_ERR_TASK_FILE_LIMIT', message: expect.stringContaining('IMPORT_XLSX_MAX_SHARED_STRINGS (100000)') });
  });

  test('decompressed bytes are counted across entries, not per entry', async () => {
    const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`xl/part${i}.xml`, ' '.repeat(2 ** 20)]));
    const path = await zipFile('sum.xlsx', files, 'DEFLATE');
    await expect(checkXlsxBounds(path, { ...LIMITS, maxUncompressed: 4 * 2 ** 20 })).rejects.toMatchObject({ message: expect.stringContaining('IMPORT_XLSX_MAX_UNCOMPRESSED') });
    await expect(checkXlsxBounds(path, { ...LIMITS, maxUncompressed: 6 * 2 ** 20 })).resolves.toBeUndefined();
  });

  test('bytes before the first entry (data the directory does not describe) and non-zip files are refused', async () => {
    const good = await zipFile('good.xlsx', { 'a.xml': '<a/>' }, 'DEFLATE');
    const shifted = join(dir, 'shifted.xlsx');
    writeFileSync(shifted, Buffer.concat([Buffer.from('PK\u0003\u0004hidden'), readFileSync(good)]));
    await expect(checkXlsxBounds(shifted, LIMITS)).rejects.toMatchObject({ type: 'CB_ERR_TASK_BAD_FILE' });
    const text = join(dir, 'text.xlsx');
    writeFileSync(text, 'not a zip');
    await expect(checkXlsxBounds(text, LIMITS)).rejects.toMatchObject({ type: 'CB_ERR_TASK_BAD_FILE' });
  });
});
