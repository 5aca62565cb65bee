import ExcelJS from 'exceljs';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * An estate's units imported from XLSX (issue 13 §1, "an import for a whole estate (CSV/XLSX with
 * a rejected-rows report)"), POST /api/v1/communities/:id/units/import on embedded PGlite: the
 * same rows as CSV and as XLSX give the same units and the same report; an .xlsx sent as
 * octet-stream is known by its bytes; hostile files (not XLSX, .xls, no header, too many rows,
 * a sheet that unpacks past the budget) are clear 400s that write nothing.
 */
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function xlsx(rows: ExcelJS.CellValue[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('房屋清单');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('estate unit import from XLSX', () => {
  let tp: TestPlatform;
  const communities: Record<'csv' | 'xlsx' | 'upload' | 'hostile', string> = { csv: '', xlsx: '', upload: '', hostile: '' };
  let staff: string;

  beforeAll(async () => {
    tp = await startTestPlatform();
    for (const key of Object.keys(communities) as Array<keyof typeof communities>) communities[key] = (await tp.createCommunity({ name: `导入-${key}` })).id;
    const scope = { level: 'community', communityIds: Object.values(communities) };
    for (const [username, role] of [
      ['xlsx-staff', 'property_staff'],
      ['xlsx-owner', 'owner'],
    ]) {
      expect((await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope })).status).toBe(201);
    }
    staff = await tp.login('xlsx-staff', 'user-pass-123');
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
  });

  const post = async (community: string, body: string | Buffer, contentType: string) => {
    const res = await fetch(`${tp.httpUrl}/api/v1/communities/${community}/units/import`, { method: 'POST', headers: { 'Content-Type': contentType, Authorization: `Bearer ${staff}` }, body });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const units = async (community: string) =>
    ((await tp.api('GET', `communities/${community}`)).body.buildings as Array<{ name: string; units: Array<{ number: string; floorArea: string }> }>)
      .flatMap((b) => b.units.map((u) => `${b.name} ${u.number} ${u.floorArea}`))
      .sort();

  it('gives the same units and the same rejected-rows report for the same rows as CSV and as XLSX', async () => {
    const rows = [
      ['building', 'number', 'floorArea', 'owner', 'relation'],
      ['1栋', '101', '90.00', 'xlsx-owner', 'owner'],
      ['1栋', '102', '120.5', '', ''],
      ['1栋', '102', '120.5', '', ''], // repeated in the file
      ['2栋', '101', '80.123', '', ''], // three decimals
      ['2栋', '102', '75', 'nobody-here', ''], // not a user of the community
      ['2栋', '201', '60', '', 'landlord'],
    ];
    const csv = await post(communities.csv, rows.map((r) => r.join(',')).join('\n'), 'text/csv');
    // Numbers typed as numbers in the sheet, as a person would.
    const sheet = rows.map((r, i) => (i === 0 ? r : r.map((cell, c) => (c === 2 ? Number(cell) : cell))));
    const fromXlsx = await post(communities.xlsx, await xlsx(sheet), XLSX);
    expect(csv.status).toBe(200);
    expect(fromXlsx.status).toBe(200);
    const { elapsedMs: _csvMs, ...csvReport } = csv.body;
    const { elapsedMs: _xlsxMs, ...xlsxReport } = fromXlsx.body;
    expect(xlsxReport).toMatchObject({ rows: 6, created: 2, buildingsCreated: 1, linked: 1 });
    expect(xlsxReport.rejected.map((r: { row: number }) => r.row)).toEqual([3, 4, 5, 6]);
    expect(xlsxReport).toEqual(csvReport);
    // The CSV keeps the typed "90.00"; the sheet's number 90 reads as "90": the same area.
    expect(await units(communities.xlsx)).toEqual(['1栋 101 90.00', '1栋 102 120.50']);
    expect(await units(communities.csv)).toEqual(await units(communities.xlsx));
  });

  it('knows an .xlsx sent as multipart octet-stream by its bytes', async () => {
    const form = new FormData();
    form.append('file', new Blob([await xlsx([['building', 'number', 'floorArea'], ['5栋', '101', 88.8]])], { type: 'application/octet-stream' }), 'units.xlsx');
    const res = await fetch(`${tp.httpUrl}/api/v1/communities/${communities.upload}/units/import`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${staff}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rows: 1, created: 1, rejected: [] });
    expect(await units(communities.upload)).toEqual(['5栋 101 88.80']);
  });

  it('answers hostile files with a clear 400 and writes nothing', async () => {
    const header = ['building', 'number', 'floorArea'];
    const cases: Array<[string | Buffer, string, RegExp]> = [
      ['building,number,floorArea\n1栋,101,90\n', XLSX, /^not an XLSX file/],
      [Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]), XLSX, /legacy \.xls/],
      [Buffer.from('PK\u0003\u0004 this is no archive'), XLSX, /damaged zip archive/],
      [await xlsx([]), XLSX, /first worksheet is empty: it needs a header row/],
      [await xlsx([['楼栋', '房号', '建筑面积'], ['1栋', '101', 90]]), XLSX, /unknown column\(s\) "楼栋"/],
      // One row more than an import takes: read, then refused as a CSV of that size would be.
      [await xlsx([header, ...Array.from({ length: 20_001 }, (_, i) => ['1栋', String(i), 90])]), XLSX, /at most 20000 units, this one has 20001/],
      // Far more rows: refused from the archive's cell count before the workbook is loaded.
      [await xlsx([header, ...Array.from({ length: 45_000 }, (_, i) => ['1栋', String(i), 90])]), 'application/octet-stream', /the workbook is too large: an import takes at most 20000 rows/],
      // A cell of 65 MiB of one letter, about 65 KiB zipped.
      [await xlsx([header, ['x'.repeat(65 * 1024 * 1024), '101', 90]]), XLSX, /unpacks to more than 64 MiB/],
    ];
    for (const [body, type, message] of cases) {
      const res = await post(communities.hostile, body, type);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(message) });
    }
    expect(await units(communities.hostile)).toEqual([]);
    // The platform carries on: a good sheet afterwards is imported.
    expect((await post(communities.hostile, await xlsx([header, ['9栋', '101', 70]]), XLSX)).body).toMatchObject({ created: 1, rejected: [] });
  }, 120_000);
});
