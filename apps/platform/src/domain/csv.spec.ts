import { csvField, neutraliseCsvCell, toCsv } from './csv';

// Issue 8 item 6: CSV cells that start with = + - @ neutralised (OWASP CSV Injection).
describe('neutraliseCsvCell', () => {
  it.each(['=HYPERLINK("http://evil.example","点我")', '+1+1', '-2+3', '@SUM(A1:A2)', '\t=1+1', '\r=1+1', '=cmd|\' /C calc\'!A0'])('prefixes %j with a quote', (v) => {
    expect(neutraliseCsvCell(v)).toBe(`'${v}`);
  });

  it.each(['1号楼 电梯', 'A=1', '-12.50', '+86', '-3', '', 'plain text'])('leaves %j as it is', (v) => {
    expect(neutraliseCsvCell(v)).toBe(v);
  });
});

describe('csvField and toCsv', () => {
  it('neutralises then quotes text; numbers and empty values pass', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('');
    expect(toCsv(['name', 'n'], [['@evil', 1], ['a,b', null]])).toBe('name,n\r\n\'@evil,1\r\n"a,b",\r\n');
  });
});
