import { normalizePlate, parsePlate } from './plates';

describe('normalizePlate', () => {
  it.each([
    ['粤B12345', '粤B12345'],
    ['粤b12345', '粤B12345'],
    ['粤B·12345', '粤B12345'],
    ['粤B 123 45', '粤B12345'],
    ['粤B.12345', '粤B12345'],
    ['粤B-12345', '粤B12345'],
    ['粤Ｂ１２３４５', '粤B12345'], // full-width letters and digits
    ['京A・O1234', '京A01234'], // O in the serial is a 0
    ['京A1I2O3', '京A11203'],
    ['京O12345', '京O12345'], // the issuer letter keeps its O (not a serial position)
    ['  沪C D12345 ', '沪CD12345'],
    ['', ''],
  ])('%s → %s', (raw, expected) => {
    expect(normalizePlate(raw)).toBe(expected);
  });
});

describe('parsePlate', () => {
  it.each([
    ['京A12345', 'regular'],
    ['粤B3K7Q2', 'regular'],
    ['沪AD12345', 'nev_small'],
    ['沪AFA1234', 'nev_small'],
    ['粤BA12345', 'nev_small'], // 2021 letter extension
    ['粤BK12345', 'nev_small'],
    ['粤B12345D', 'nev_large'],
    ['粤B12345F', 'nev_large'],
    ['京X2345应急', 'emergency'],
    ['京·X2345应急', 'emergency'],
    ['京12345应急', 'emergency'],
    ['川S1234应急', 'emergency'],
    ['应急京1234', 'emergency'],
    ['京A1234警', 'police'],
    ['WJ京12345', 'armed_police'],
    ['WJ1234A', 'armed_police'],
    ['VA12345', 'military'],
    ['京A1234领', 'consulate'],
    ['123456使', 'embassy'],
    ['使123456', 'embassy'],
    ['粤Z1234港', 'hk_macau'],
    ['粤Z1234澳', 'hk_macau'],
    ['京A1234挂', 'trailer'],
    ['京A1234学', 'learner'],
  ])('%s is %s', (raw, kind) => {
    expect(parsePlate(raw).kind).toBe(kind);
  });

  it.each([['无牌车'], ['未识别'], [''], ['ABC'], ['京A1234'], ['京A1234567'], ['X京12345'], ['粤B12345Z'], ['台A12345'], ['京AI234O5Q']])(
    '%s is unknown and not priority',
    (raw) => {
      const info = parsePlate(raw);
      expect(info.kind).toBe('unknown');
      expect(info.priority).toBe(false);
    },
  );

  it('splits a regular plate into province, issuer and serial', () => {
    expect(parsePlate('粤B·3K7Q2')).toMatchObject({ plate: '粤B3K7Q2', province: '粤', issuer: 'B', serial: '3K7Q2', energy: null, vehicleClass: 'small' });
  });

  it('reads the energy type of new-energy plates', () => {
    expect(parsePlate('沪AD12345')).toMatchObject({ energy: 'BEV', vehicleClass: 'small' });
    expect(parsePlate('沪AF12345')).toMatchObject({ energy: 'NON_BEV' });
    expect(parsePlate('粤B12345D')).toMatchObject({ energy: 'BEV', vehicleClass: 'large' });
    expect(parsePlate('粤B12345K')).toMatchObject({ energy: 'NON_BEV', vehicleClass: 'large' });
  });

  it('marks emergency, police, armed police and military plates as priority', () => {
    for (const p of ['京X2345应急', '京A1234警', 'WJ京12345', 'VA12345']) expect(parsePlate(p).priority).toBe(true);
    for (const p of ['京A12345', '沪AD12345', '123456使']) expect(parsePlate(p).priority).toBe(false);
  });

  it('reads an emergency plate’s province and serial', () => {
    expect(parsePlate('京·X2345应急')).toMatchObject({ plate: '京X2345应急', province: '京', serial: 'X2345' });
  });

  it('classifies after OCR fixes (full width, O→0 in the serial)', () => {
    expect(parsePlate('粤Ｂ·O2345')).toMatchObject({ plate: '粤B02345', kind: 'regular' });
    expect(parsePlate('沪A D1234O')).toMatchObject({ plate: '沪AD12340', kind: 'nev_small' });
  });
});
