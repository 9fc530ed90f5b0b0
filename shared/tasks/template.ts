import ExcelJS from 'exceljs';
import { columnTitle } from './columns.js';
import type { ColumnSpec } from './types.js';

/** NocoBase's import template: `Sheet 1` with the explain text, a blank row, `Title：description` rows, then the header row. */
export async function xlsxTemplate(columns: readonly ColumnSpec[], explain?: string): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Sheet 1');
  if (explain) {
    sheet.addRow([explain]);
    sheet.addRow(['']);
  }
  for (const c of columns) if (c.description) sheet.addRow([`${columnTitle(c)}：${c.description}`]);
  sheet.addRow(columns.map(columnTitle));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
