import { parseUnitFile, validateUnitRows } from './unit-import';

const parseUnitCsv = (csv: string) => parseUnitFile({ content: Buffer.from(csv), contentType: 'text/csv' });

describe('estate unit import (CSV)', () => {
  it('reads a CSV with a BOM and columns in any order, then validates each row', async () => {
    const csv = '\ufefffloorArea,building,number,owner\n89.50,1栋,101,wang.fang\n120,1栋,102,\n';
    const rows = await parseUnitCsv(csv);
    const { valid, rejected } = validateUnitRows(rows);
    expect(rejected).toEqual([]);
    expect(valid).toEqual([
      { row: 1, input: { building: '1栋', number: '101', floorArea: '89.50', owner: 'wang.fang', relation: 'owner' } },
      { row: 2, input: { building: '1栋', number: '102', floorArea: '120', relation: 'owner' } },
    ]);
  });

  it('reports bad rows by number with the reason: area with 3 decimals, zero area, missing number, wrong cell count, a repeated unit', async () => {
    const csv = ['building,number,floorArea', '1栋,101,89.505', '1栋,102,0', '1栋,,90', '1栋,103,90,extra', '1栋,104,90', '1栋,104,91'].join('\n');
    const { valid, rejected } = validateUnitRows(await parseUnitCsv(csv));
    expect(valid.map((v) => v.row)).toEqual([5]);
    expect(rejected.map((r) => r.row)).toEqual([1, 2, 3, 4, 6]);
    expect(rejected[0].reason).toContain('floorArea');
    expect(rejected[1].reason).toContain('more than 0');
    expect(rejected[2].reason).toContain('number');
    expect(rejected[4].reason).toContain('already on row 5');
  });

  it('refuses a file whose header has an unknown or missing column', async () => {
    await expect(parseUnitCsv('building,number,area\n1栋,101,90\n')).rejects.toThrow('unknown column');
    await expect(parseUnitCsv('building,number\n1栋,101\n')).rejects.toThrow('missing column');
  });
});
