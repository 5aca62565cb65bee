import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { DeviceKind } from '@app/contracts';
import { ClockRepository } from '../repositories/clock.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { RedisRepository } from '../repositories/redis.repository';

/** What the broker and the ingestion path need to know of a device, cached in memory. */
export interface DeviceProfile {
  id: string;
  communityId: string;
  kind: DeviceKind;
  subtype: string | null;
  disabled: boolean;
  secretHash: string;
}

const PROFILE_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;

type Listener = (deviceId: string) => void;

/**
 * Device lookups for the hot paths. Profiles are cached so a reconnect storm or 45k messages a
 * second do not hit the database. Secrets are checked against a keyed fast hash (microseconds);
 * an older scrypt hash is replaced by one after its first success. Changes (rotation, disabling) are announced
 * over Redis so every platform process drops its copy at once.
 */
@Injectable()
export class DeviceDirectoryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceDirectoryService.name);
  private readonly profiles = new Map<string, { profile: DeviceProfile | null; until: number }>();
  private readonly loading = new Map<string, Promise<DeviceProfile | null>>();
  private readonly listeners: Listener[] = [];
  private subscriber?: Redis;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly redis: RedisRepository,
    private readonly crypto: CryptoRepository,
    private readonly clock: ClockRepository,
  ) {}

  private get channel(): string {
    return this.redis.key('device-changed');
  }

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    await this.subscriber.subscribe(this.channel);
    this.subscriber.on('message', (_channel, deviceId: string) => this.forget(deviceId));
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }

  /** Called with the id of a device whose credentials or status changed. */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
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
      pending = this.load(deviceId)
        .catch((error: unknown) => {
          // Database unreachable: keep serving the last known profile, so ingestion goes on.
          const stale = this.profiles.get(deviceId);
          if (stale) return stale.profile;
          throw error;
        })
        .finally(() => this.loading.delete(deviceId));
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

  /**
   * Checks a device's secret; 'unknown_device', 'disabled' and 'bad_secret' say why it failed
   * (for metrics and the audit log, never to the device). The hash is computed in every case, an
   * unknown device's against a dummy, so the three take as long.
   */
  async checkSecret(deviceId: string, secret: string): Promise<{ ok: true; profile: DeviceProfile } | { ok: false; reason: 'unknown_device' | 'disabled' | 'bad_secret' }> {
    const profile = await this.get(deviceId);
    const verdict = await this.crypto.verifyDeviceSecret(secret, profile?.secretHash);
    if (!profile) return { ok: false, reason: 'unknown_device' };
    if (profile.disabled) return { ok: false, reason: 'disabled' };
    if (!verdict.ok) return { ok: false, reason: 'bad_secret' };
    if (verdict.legacy) await this.rehash(profile, secret);
    return { ok: true, profile };
  }

  /** Stores a legacy (scrypt) secret hash again as HMAC; the device stays connected. */
  private async rehash(profile: DeviceProfile, secret: string): Promise<void> {
    const hash = this.crypto.hashDeviceSecret(secret);
    try {
      await this.devices.rehashSecret(profile.id, profile.secretHash, hash);
      profile.secretHash = hash;
    } catch (error) {
      this.logger.warn(`re-hashing the secret of ${profile.id} failed (tried again on its next connect): ${(error as Error).message}`);
    }
  }

  /** Tells every platform process that a device changed. */
  async announceChange(deviceId: string): Promise<void> {
    this.forget(deviceId);
    await this.redis.client.publish(this.channel, deviceId);
  }

  private forget(deviceId: string): void {
    this.profiles.delete(deviceId);
    for (const listener of this.listeners) {
      try {
        listener(deviceId);
      } catch (error) {
        this.logger.error(`device change listener failed: ${(error as Error).message}`);
      }
    }
  }
}
