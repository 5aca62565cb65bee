import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DeviceProfile } from '../domain/device-profile';
import { ClockRepository } from '../repositories/clock.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { RedisRepository } from '../repositories/redis.repository';

const PROFILE_TTL_MS = 60_000;
const MISSING_TTL_MS = 5_000;
/** Profiles asked for within LOAD_WINDOW_MS are read with one query, at most this many. */
const LOAD_BATCH = 1000;
/**
 * aedes authenticates each CONNECT in a turn of the event loop of its own, so batching by turn
 * read one profile a query: a restart storm of 15,000 devices spent 1.5 s of every 10 in single
 * reads from PGlite. A couple of milliseconds gathers hundreds.
 */
const LOAD_WINDOW_MS = 2;

/**
 * Device lookups for the hot paths. Profiles are cached so a reconnect storm or 45k messages a
 * second do not hit the database. Secrets are checked against a keyed fast hash (microseconds);
 * an older scrypt hash is replaced by one after its first success. Changes (rotation, disabling)
 * are announced over Redis so every platform process drops its copy at once, and on the event bus
 * (`device.changed`) in each process.
 */
/** What changed: a new device only leaves stale "unknown" entries; new credentials or status close its connection. */
export type DeviceChange = 'created' | 'credentials';
@Injectable()
export class DeviceDirectoryService implements OnModuleInit {
  private readonly logger = new Logger(DeviceDirectoryService.name);
  private readonly profiles = new Map<string, { profile: DeviceProfile | null; until: number }>();
  private readonly loading = new Map<string, Promise<DeviceProfile | null>>();
  /** Profiles to read in the next batch, with their waiters. */
  private wanted = new Map<string, { resolve: (profile: DeviceProfile | null) => void; reject: (error: unknown) => void }>();
  private batchScheduled = false;
  /** Tells this process's own notices (already applied when sent) from other processes'. */
  private readonly processId = randomUUID();

  constructor(
    private readonly devices: DeviceRepository,
    private readonly redis: RedisRepository,
    private readonly crypto: CryptoRepository,
    private readonly clock: ClockRepository,
    private readonly bus: EventBusRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.listen('device-changed', (message) => {
      const { deviceId, change, by } = JSON.parse(message) as { deviceId: string; change: DeviceChange; by: string };
      // Our own notice comes back later: applied again, it would close a connection the device
      // made in between, with the new secret or right after it was provisioned.
      if (by !== this.processId) this.forget(deviceId, change);
    });
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

  /**
   * Reads a profile in a batch with the others asked for within LOAD_WINDOW_MS: a reconnect storm
   * asks for thousands at once, and one query each kept the embedded database busy.
   */
  private load(deviceId: string): Promise<DeviceProfile | null> {
    return new Promise((resolve, reject) => {
      this.wanted.set(deviceId, { resolve, reject });
      if (this.batchScheduled) return;
      this.batchScheduled = true;
      setTimeout(() => void this.loadBatch(), LOAD_WINDOW_MS);
    });
  }

  private async loadBatch(): Promise<void> {
    const batch = new Map([...this.wanted].slice(0, LOAD_BATCH));
    for (const id of batch.keys()) this.wanted.delete(id);
    if (this.wanted.size > 0) setImmediate(() => void this.loadBatch());
    else this.batchScheduled = false;
    try {
      const rows = new Map((await this.devices.findByIds([...batch.keys()])).map((row) => [row.id, row]));
      for (const [deviceId, waiter] of batch) {
        const row = rows.get(deviceId);
        const profile: DeviceProfile | null = row
          ? { id: row.id, communityId: row.community_id, kind: row.kind, subtype: row.subtype, disabled: row.disabled, secretHash: row.secret_hash }
          : null;
        this.profiles.set(deviceId, { profile, until: this.clock.now() + (profile ? PROFILE_TTL_MS : MISSING_TTL_MS) });
        waiter.resolve(profile);
      }
    } catch (error) {
      for (const waiter of batch.values()) waiter.reject(error);
    }
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
  async announceChange(deviceId: string, change: DeviceChange): Promise<void> {
    this.forget(deviceId, change);
    await this.redis.notify('device-changed', JSON.stringify({ deviceId, change, by: this.processId }));
  }

  private forget(deviceId: string, change: DeviceChange): void {
    this.profiles.delete(deviceId);
    this.bus.emit('device.changed', { deviceId, dropConnection: change === 'credentials' });
  }
}
