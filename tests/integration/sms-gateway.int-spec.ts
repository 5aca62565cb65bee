/**
 * The SMS gateway repository (Tencent Cloud SMS SendSms through the official SDK) against the
 * local Tencent Cloud SMS, which checks the TC3-HMAC-SHA256 signature: a message goes out signed;
 * a wrong key, a refused template and a carrier's refusal are each a 502 to the caller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../apps/platform/src/config/config';
import { SmsGatewayError, SmsRepository } from '../../apps/platform/src/repositories/sms.repository';
import { FAKE_SMS_SIGN, FAKE_SMS_TEMPLATE, FakeSms } from '../support/fake-sms';

describe('SMS gateway (Tencent Cloud SMS SendSms)', () => {
  const fake = new FakeSms();
  const dir = mkdtempSync(join(tmpdir(), 'spp-sms-'));
  const repository = (env: Record<string, string> = {}) => new SmsRepository(parseConfig({ DATA_DIR: dir, ...fake.env(), ...env }));

  beforeAll(() => fake.start());
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is off without SMS_TENCENT_SECRET_ID', async () => {
    const off = new SmsRepository(parseConfig({ DATA_DIR: dir }));
    expect(off.enabled).toBe(false);
    await expect(off.sendCode('13800138000', '123456', 5)).rejects.toThrow(SmsGatewayError);
  });

  it('sends the code with the approved signature and template, signed so the service accepts it', async () => {
    const sms = repository();
    expect(sms.enabled).toBe(true);
    const sent = await sms.sendCode('13800138000', '042517', 5);
    expect(sent.serialNo).toMatch(/^2640:/);
    expect(fake.badSignatures).toBe(0);
    expect(fake.messages).toEqual([{ phone: '+8613800138000', signName: FAKE_SMS_SIGN, templateId: FAKE_SMS_TEMPLATE, params: ['042517', '5'] }]);
  });

  it('is a gateway error when the signature does not verify (wrong key): nothing is sent', async () => {
    const before = fake.messages.length;
    await expect(repository({ SMS_TENCENT_SECRET_KEY: 'not-the-right-secret-key-000000' }).sendCode('13800138000', '111111', 5)).rejects.toThrow(SmsGatewayError);
    expect(fake.badSignatures).toBe(1);
    expect(fake.messages).toHaveLength(before);
  });

  it('is a gateway error for an unapproved template and for a refused send status', async () => {
    await expect(repository({ SMS_TENCENT_TEMPLATE_ID: '999' }).sendCode('13800138000', '222222', 5)).rejects.toThrow(SmsGatewayError);
    fake.failNext = 'LimitExceeded.PhoneNumberDailyLimit';
    await expect(repository().sendCode('13800138000', '333333', 5)).rejects.toThrow(SmsGatewayError);
    expect(fake.messages.map((m) => m.params[0])).not.toContain('333333');
  });
});
