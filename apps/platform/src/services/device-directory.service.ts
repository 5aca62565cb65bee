import { createHash } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { DeviceProfile } from '../domain/device-profile';
import { ClockRepository } from '../repositories/clock.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { RedisRepository } from '../repositories/redis.repository';

const PROFILE_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;

/**
 * Device lookups for the hot paths. Profiles are cached so a reconnect storm or 45k messages a
 * second do not hit the database; a successful secret check is remembered (as a digest) so a
 * reconnecting device is not scrypt-hashed again. Changes (rotation, disabling) are announced
 * over Redis so every platform process drops its copy at once, and on the event bus
 * (`device.changed`) in each process.
 */
@Injectable()
export class DeviceDirectoryService implements OnModuleInit {
  private readonly profiles = new Map<string, { profile: DeviceProfile | null; until: number }>();
  private readonly verified = new Map<string, string>();
  private readonly loading = new Map<string, Promise<DeviceProfile | null>>();

  constructor(
    private readonly devices: DeviceRepository,
    private readonly redis: RedisRepository,
    private readonly crypto: CryptoRepository,
    private readonly clock: ClockRepository,
    private readonly bus: EventBusRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.listen('device-changed', (deviceId) => this.forget(deviceId));
  }

  /** The cached profile, if fresh; the hot path uses this without awaiting. */
  cached(deviceId: string): DeviceProfile | null | undefined {
    const entry = this.profiles.get(deviceId);
    return entry && entry.until > this.clock.now() ? entry.profile : undefined;
  }

  async get(deviceId: string): Promise<DeviceProfile | null> {
    const hit = this.cached(deviceId);
    if (hit !== undefined) return hit;
    let pending = this.loading.get(deviceId);
    if (!pending) {
      pending = this.load(deviceId).finally(() => this.loading.delete(deviceId));
      this.loading.set(deviceId, pending);
    }
    return pending;
  }

  private async load(deviceId: string): Promise<DeviceProfile | null> {
    const row = await this.devices.findById(deviceId);
    const profile: DeviceProfile | null = row
      ? { id: row.id, communityId: row.community_id, kind: row.kind, subtype: row.subtype, disabled: row.disabled, secretHash: row.secret_hash }
      : null;
    this.profiles.set(deviceId, { profile, until: this.clock.now() + (profile ? PROFILE_TTL_MS : MISSING_TTL_MS) });
    return profile;
  }

  /** Checks a device's secret; 'unknown', 'disabled' and 'bad_secret' say why it failed. */
  async checkSecret(deviceId: string, secret: string): Promise<{ ok: true; profile: DeviceProfile } | { ok: false; reason: 'unknown_device' | 'disabled' | 'bad_secret' }> {
    const profile = await this.get(deviceId);
    if (!profile) return { ok: false, reason: 'unknown_device' };
    if (profile.disabled) return { ok: false, reason: 'disabled' };
    const digest = createHash('sha256').update(profile.secretHash).update('\0').update(secret).digest('base64');
    if (this.verified.get(deviceId) === digest) return { ok: true, profile };
    if (!(await this.crypto.verify(secret, profile.secretHash))) return { ok: false, reason: 'bad_secret' };
    this.verified.set(deviceId, digest);
    return { ok: true, profile };
  }

  /** Tells every platform process that a device changed. */
  async announceChange(deviceId: string): Promise<void> {
    this.forget(deviceId);
    await this.redis.notify('device-changed', deviceId);
  }

  private forget(deviceId: string): void {
    this.profiles.delete(deviceId);
    this.verified.delete(deviceId);
    this.bus.emit('device.changed', { deviceId });
  }
}
