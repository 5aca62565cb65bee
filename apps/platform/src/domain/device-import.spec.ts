import { importResultCsv, numberRows, parseDeviceFile, validateImportRows } from './device-import';

const parseDeviceCsv = (csv: string) => parseDeviceFile({ content: Buffer.from(csv) });

const COMMUNITY = '6f1c1d7e-1b2a-4c3d-9e8f-0a1b2c3d4e5f';

describe('device import files', () => {
  it('reads a CSV with a BOM, Chinese names, quoted commas and blank lines, numbering data rows from 1', async () => {
    const csv = '\ufeffid,communityId,kind,subtype,name,location\n' +
      `e-1,${COMMUNITY},elevator,,1号楼 1号梯,"1号楼, 东侧"\n` +
      '\n' +
      `f-1,${COMMUNITY},fire,smoke_detector,烟感 1,\n`;
    const rows = await parseDeviceCsv(csv);
    expect(rows).toEqual([
      { row: 1, fields: { id: 'e-1', communityId: COMMUNITY, kind: 'elevator', subtype: '', name: '1号楼 1号梯', location: '1号楼, 东侧' } },
      { row: 2, fields: { id: 'f-1', communityId: COMMUNITY, kind: 'fire', subtype: 'smoke_detector', name: '烟感 1', location: '' } },
    ]);
    const { valid, rejected } = validateImportRows(rows);
    expect(rejected).toEqual([]);
    expect(valid.map((v) => v.input)).toEqual([
      { id: 'e-1', communityId: COMMUNITY, kind: 'elevator', name: '1号楼 1号梯', location: '1号楼, 东侧' },
      { id: 'f-1', communityId: COMMUNITY, kind: 'fire', subtype: 'smoke_detector', name: '烟感 1' },
    ]);
  });

  it('refuses a header with an unknown column, naming it', async () => {
    await expect(parseDeviceCsv('id,community,kind,name\nx,y,elevator,n\n')).rejects.toThrow(/unknown column\(s\) "community"/);
  });

  it('keeps a line with too many cells as a numbered, rejected row', async () => {
    const rows = await parseDeviceCsv(`communityId,kind,name\n${COMMUNITY},gate,北门,extra\n${COMMUNITY},gate,南门\n`);
    const { valid, rejected } = validateImportRows(rows);
    expect(rejected).toEqual([{ row: 1, reason: expect.stringMatching(/got 4/) }]);
    expect(valid).toEqual([{ row: 2, input: { communityId: COMMUNITY, kind: 'gate', name: '南门' } }]);
  });

  it('reports schema failures and repeated ids with row numbers; fills a missing community from the import', () => {
    const rows = numberRows([
      { id: 'a', kind: 'fire', name: 'no subtype' },
      { id: 'bad id!', kind: 'gate', name: 'x' },
      { id: 'b', kind: 'gate', name: 'gate b' },
      { id: 'b', kind: 'gate', name: 'gate b again' },
      { kind: 'toaster', name: 'y' },
      'not an object',
    ]);
    const { valid, rejected } = validateImportRows(rows, COMMUNITY);
    expect(valid).toEqual([{ row: 3, input: { id: 'b', communityId: COMMUNITY, kind: 'gate', name: 'gate b' } }]);
    expect(rejected).toEqual([
      { row: 1, id: 'a', reason: expect.stringMatching(/subtype/) },
      { row: 2, id: 'bad id!', reason: expect.stringMatching(/^id: device id must match/) },
      { row: 4, id: 'b', reason: 'duplicate: device id b is already on row 3 of this import' },
      { row: 5, reason: expect.stringMatching(/^kind:/) },
      { row: 6, reason: expect.any(String) },
    ]);
  });

  it('writes the outcome as CSV, one line per row in row order, secrets only for created devices', async () => {
    const csv = await importResultCsv({
      rows: 2,
      created: 1,
      rejected: [{ row: 1, id: 'x', reason: 'duplicate: device id x is taken' }],
      devices: [{ row: 2, id: 'y', communityId: COMMUNITY, kind: 'gate', subtype: null, name: '北门', location: null, disabled: false, createdAt: '2026-01-01T00:00:00.000Z', secret: 's3cret' }],
      batches: { total: 1, failed: 0, size: 1000 },
      elapsedMs: 1,
    });
    expect(csv.split('\n')).toEqual([
      'row,status,id,communityId,kind,subtype,name,secret,reason',
      '1,rejected,x,,,,,,duplicate: device id x is taken',
      `2,created,y,${COMMUNITY},gate,,北门,s3cret,`,
    ]);
  });
});
