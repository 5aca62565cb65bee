import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Injectable } from '@nestjs/common';

// scrypt N=2^15, r=8, p=1 (OWASP's minimum) for passwords people choose: ~65 ms a hash here.
// Device secrets are 256 random bits, so N=2^14 (~30 ms) keeps a reconnect storm of many
// devices affordable while the stored hash stays slow to attack.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const SCRYPT_DEVICE = { ...SCRYPT, N: 16384 } satisfies ScryptOptions;
const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Password and device-secret hashing (scrypt, self-describing format) and secret generation. */
@Injectable()
export class CryptoRepository {
  async hash(secret: string, kind: 'password' | 'device-secret' = 'password'): Promise<string> {
    const params = kind === 'password' ? SCRYPT : SCRYPT_DEVICE;
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

  /** A device secret: 32 random bytes, URL-safe, easy to paste into firmware config. */
  newSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  randomId(bytes = 8): string {
    return randomBytes(bytes).toString('hex');
  }
}
