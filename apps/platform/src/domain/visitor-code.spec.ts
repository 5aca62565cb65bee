import { CODE_PATTERN, CODE_TTL_MS, MAX_TRIES, codeDigest, judgeCode, maskMobile, newCode, normalizeMobile } from './visitor-code';

// Issue 13 §7: a visitor proves a mainland mobile number (1[3-9]\d{9}) with a six-digit SMS code
// that expires after five minutes and allows at most five tries.
const SECRET = 'test-secret-'.padEnd(40, 's');
const PHONE = '13812345678';
const T0 = Date.UTC(2025, 2, 10, 1, 0);

describe('visitor mobile numbers', () => {
  it('accepts mainland mobiles, with spaces, dashes or +86, and refuses everything else', () => {
    expect(normalizeMobile('13812345678')).toBe('13812345678');
    expect(normalizeMobile('+86 138-1234-5678')).toBe('13812345678');
    expect(normalizeMobile('0086 19912345678')).toBe('19912345678');
    for (const bad of ['12812345678', '1381234567', '138123456789', '23812345678', '1381234567a', '+85213812345678', '']) expect(normalizeMobile(bad)).toBeUndefined();
  });

  it('shows a number masked', () => {
    expect(maskMobile(PHONE)).toBe('138****5678');
  });
});

describe('visitor codes', () => {
  it('are six digits, leading zeros kept', () => {
    for (let i = 0; i < 200; i++) expect(newCode()).toMatch(CODE_PATTERN);
  });

  it('are stored as a digest bound to the number, not as the code', () => {
    const d = codeDigest(SECRET, PHONE, '012345');
    expect(d).not.toContain('012345');
    expect(d).toBe(codeDigest(SECRET, PHONE, '012345'));
    expect(d).not.toBe(codeDigest(SECRET, '13912345678', '012345'));
    expect(d).not.toBe(codeDigest('another-secret-'.padEnd(40, 'x'), PHONE, '012345'));
  });

  const stored = (tries: number) => ({ digest: codeDigest(SECRET, PHONE, '424242'), expiresAt: T0 + CODE_TTL_MS, tries });

  it('pass with the right code before they expire, fail with another', () => {
    expect(judgeCode(stored(1), codeDigest(SECRET, PHONE, '424242'), T0 + 60_000)).toEqual({ ok: true });
    expect(judgeCode(stored(1), codeDigest(SECRET, PHONE, '424243'), T0 + 60_000)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(judgeCode(undefined, codeDigest(SECRET, PHONE, '424242'), T0)).toEqual({ ok: false, reason: 'no_code' });
  });

  it('expire five minutes after they were sent: the right code is refused from then on', () => {
    expect(judgeCode(stored(1), codeDigest(SECRET, PHONE, '424242'), T0 + CODE_TTL_MS - 1)).toEqual({ ok: true });
    expect(judgeCode(stored(1), codeDigest(SECRET, PHONE, '424242'), T0 + CODE_TTL_MS)).toEqual({ ok: false, reason: 'expired' });
    expect(CODE_TTL_MS).toBe(5 * 60_000);
  });

  it('allow five tries: the right code on the fifth passes, on the sixth it is refused', () => {
    expect(MAX_TRIES).toBe(5);
    expect(judgeCode(stored(5), codeDigest(SECRET, PHONE, '424242'), T0)).toEqual({ ok: true });
    expect(judgeCode(stored(6), codeDigest(SECRET, PHONE, '424242'), T0)).toEqual({ ok: false, reason: 'too_many_tries' });
  });
});
