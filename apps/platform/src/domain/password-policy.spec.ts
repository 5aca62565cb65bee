import { checkPassword } from './password-policy';

describe('password policy', () => {
  it.each(['short1!', '1234567890', 'aaaaaaaaaaaa', 'qwertyuiop', 'password-123', 'passw0rd2024'])('refuses %s with a reason', (password) => {
    const verdict = checkPassword(password);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(/password/);
  });

  it('says why a short password is refused', () => {
    expect(checkPassword('Ab3$xyz')).toEqual({ ok: false, reason: 'password must be at least 10 characters' });
  });

  it('refuses a password made of the username', () => {
    expect(checkPassword('zhangwei2024', ['zhangwei']).ok).toBe(false);
  });

  it.each(['user-pass-123', 'K9#mq2Lx!p7', 'correct horse battery'])('accepts %s', (password) => {
    expect(checkPassword(password)).toEqual({ ok: true });
  });
});
