import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';

// scrypt N=2^15, r=8, p=1 (OWASP's minimum) for passwords people choose: ~65 ms a hash here.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const KEY_LENGTH = 32;
/**
 * Device secrets are 256 random bits: nothing to guess, so a keyed fast hash (as API-token
 * systems store tokens) is as safe as a slow one and costs microseconds, which a flood of bad
 * CONNECTs cannot turn into CPU exhaustion. Older rows hold scrypt hashes ("scrypt$…").
 */
const DEVICE_HMAC = 'hmac-sha256$';

function scryptAsync(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Password hashing (scrypt), device-secret hashing (HMAC-SHA-256), both self-describing, and secret generation. */
@Injectable()
export class CryptoRepository {
  private readonly deviceKey: Buffer;
  /** Compared against when a device does not exist, so that answer costs the same. */
  private readonly dummyDeviceHash: string;

  constructor(@InjectConfig() config: PlatformConfig) {
    this.deviceKey = Buffer.from(config.mqtt.deviceSecretKey, 'utf8');
    this.dummyDeviceHash = this.hashDeviceSecret(this.newSecret());
  }

  async hash(secret: string): Promise<string> {
    const params = SCRYPT;
    const salt = randomBytes(16);
    const key = await scryptAsync(secret, salt, KEY_LENGTH, params);
    return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(secret: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const actual = await scryptAsync(secret, Buffer.from(salt, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: SCRYPT.maxmem,
    });
    return timingSafeEqual(actual, expected);
  }

  hashDeviceSecret(secret: string): string {
    return DEVICE_HMAC + createHmac('sha256', this.deviceKey).update(secret).digest('base64');
  }

  /**
   * Checks a device secret against its stored hash (the dummy one when the device is unknown);
   * `legacy` says the stored hash is an older scrypt one, to be replaced after a success.
   */
  async verifyDeviceSecret(secret: string, stored: string | undefined): Promise<{ ok: boolean; legacy: boolean }> {
    const hash = stored ?? this.dummyDeviceHash;
    if (!hash.startsWith(DEVICE_HMAC)) return { ok: await this.verify(secret, hash), legacy: true };
    const expected = Buffer.from(hash.slice(DEVICE_HMAC.length), 'base64');
    const actual = createHmac('sha256', this.deviceKey).update(secret).digest();
    return { ok: expected.length === actual.length && timingSafeEqual(actual, expected) && stored !== undefined, legacy: false };
  }

  /** A device secret: 32 random bytes, URL-safe, easy to paste into firmware config. */
  newSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  randomId(bytes = 8): string {
    return randomBytes(bytes).toString('hex');
  }
}
