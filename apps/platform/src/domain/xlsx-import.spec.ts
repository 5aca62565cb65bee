import ExcelJS from 'exceljs';
import { unitImportColumns } from '@app/contracts';
import { readImportFile } from './import-file';
import { parseUnitFile, validateUnitRows } from './unit-import';
import { XLSX_CONTENT_TYPE } from './xlsx-import';

const required = ['building', 'number', 'floorArea'];

/** A workbook whose first sheet has `rows` (row 1 first); `fill` may touch the sheet further. */
async function xlsx(rows: ExcelJS.CellValue[][], fill?: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('房屋清单');
  for (const row of rows) sheet.addRow(row);
  fill?.(sheet);
  workbook.addWorksheet('说明').addRow(['this second sheet is not read']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const read = (content: Buffer, maxRows = 100, contentType?: string) => readImportFile({ content, contentType }, unitImportColumns, required, maxRows);

// Rows as an estate's list of units (issue 13 §1, "Units and owners": building, number, 建筑面积).
describe('XLSX import reader', () => {
  it('gives the same rows and the same rejected-rows report as the CSV of the same sheet', async () => {
    const sheet = [
      ['building', 'number', 'floorArea', 'owner'],
      ['1栋', '101', '89.50', 'wang.fang'],
      ['1栋', '102', '0', ''],
      ['1栋', '', '90', ''],
      ['1栋', '104', '90', ''],
      ['1栋', '104', '91', ''],
    ];
    const csv = sheet.map((r) => r.join(',')).join('\n');
    const fromCsv = validateUnitRows(await parseUnitFile({ content: Buffer.from(csv), contentType: 'text/csv' }));
    const fromXlsx = validateUnitRows(await parseUnitFile({ content: await xlsx(sheet), contentType: XLSX_CONTENT_TYPE }));
    expect(fromXlsx).toEqual(fromCsv);
    expect(fromXlsx.rejected.map((r) => r.row)).toEqual([2, 3, 5]);
  });

  it('reads numbers as the sheet shows them, formulas by their result, rich text, hyperlinks and dates', async () => {
    const rows = await read(
      await xlsx([
        ['floorArea', 'number', 'building', 'owner', 'relation'],
        [89.5, 101, { richText: [{ text: '1' }, { text: '栋', font: { bold: true } }] }, { text: 'wang.fang', hyperlink: 'mailto:w@example.cn' }, '  owner  '],
        [{ formula: '0.1*3*100', result: 0.1 * 3 * 100 }, { formula: 'A2+1', result: 102 }, '1栋', null, { formula: 'NA()', result: { error: '#N/A' } }],
        [120, new Date(Date.UTC(2026, 0, 5)), '1栋', true, ''],
      ]),
    );
    expect(rows).toEqual([
      { row: 1, fields: { floorArea: '89.5', number: '101', building: '1栋', owner: 'wang.fang', relation: 'owner' } },
      // 0.1*3*100 is 30.000000000000004 in binary floating point; Excel shows 30.
      { row: 2, fields: { floorArea: '30', number: '102', building: '1栋', owner: '', relation: '#N/A' } },
      { row: 3, fields: { floorArea: '120', number: '2026-01-05', building: '1栋', owner: 'true', relation: '' } },
    ]);
  });

  it('numbers rows from the header, which may sit below blank rows; skips blank rows and trailing empty (styled) rows', async () => {
    const content = await xlsx([[], ['building', 'number', 'floorArea'], ['1栋', '101', 90], [], ['1栋', '102', 91]], (sheet) => {
      sheet.getCell('A20').border = { top: { style: 'thin' } };
      sheet.getCell('B21').value = '   ';
    });
    expect((await read(content)).map((r) => r.row)).toEqual([1, 3]);
  });

  it('keeps a row with a value right of the header as a wrong-cell-count row, like a CSV line with extra cells', async () => {
    const rows = await read(await xlsx([['building', 'number', 'floorArea'], ['1栋', '101', 90, 'extra']]));
    const { rejected } = validateUnitRows(rows);
    expect(rejected).toEqual([{ row: 1, reason: 'expected the cells of the header, got 4' }]);
  });

  it('refuses a sheet with no header, an unknown or missing column, and an empty workbook', async () => {
    await expect(read(await xlsx([]))).rejects.toThrow('the first worksheet is empty');
    await expect(read(await xlsx([['楼栋', '房号', '建筑面积'], ['1栋', '101', 90]]))).rejects.toThrow(/unknown column\(s\) "楼栋".*header on row 1 of worksheet "房屋清单"/);
    await expect(read(await xlsx([['building', 'number'], ['1栋', '101']]))).rejects.toThrow('missing column(s) floorArea');
  });

  it('refuses a file that claims to be XLSX but is not, a damaged archive, and a legacy .xls', async () => {
    await expect(read(Buffer.from('building,number,floorArea\n1栋,101,90\n'), 100, XLSX_CONTENT_TYPE)).rejects.toThrow('not an XLSX file');
    const good = await xlsx([['building', 'number', 'floorArea'], ['1栋', '101', 90]]);
    await expect(read(good.subarray(0, good.length - 30))).rejects.toThrow('not a readable XLSX file');
    const damaged = Buffer.from(good);
    damaged.fill(0x41, 40, 400);
    await expect(read(damaged)).rejects.toThrow('not a readable XLSX file');
    await expect(read(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))).rejects.toThrow('legacy .xls');
  });

  it('refuses a workbook of far more cells than the import takes before reading it, and one that unpacks past the budget', async () => {
    const many = await xlsx([['building', 'number', 'floorArea'], ...Array.from({ length: 400 }, (_, i) => ['1栋', String(i), 90])]);
    await expect(read(many, 100)).rejects.toThrow('the workbook is too large: an import takes at most 100 rows');
    expect(await read(many, 400)).toHaveLength(400);
    // One cell of 65 MiB of the same letter: about 65 KiB zipped.
    const bomb = await xlsx([['building', 'number', 'floorArea'], ['x'.repeat(65 * 1024 * 1024), '101', 90]]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await expect(read(bomb)).rejects.toThrow('unpacks to more than 64 MiB');
    // A 5 MiB note on a cell: the comments part is capped like the styles or the theme.
    const noted = await xlsx([['building', 'number', 'floorArea']], (sheet) => {
      sheet.getCell('A1').note = 'y'.repeat(5 * 1024 * 1024);
    });
    await expect(read(noted)).rejects.toThrow(/part "xl\/comments1\.xml" unpacks to more than 4 MiB/);
  }, 60_000);
});
