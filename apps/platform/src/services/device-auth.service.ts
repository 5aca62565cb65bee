import { Injectable, Logger } from '@nestjs/common';
import { FailureThrottle } from '../domain/failure-throttle';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { DeviceDirectoryService } from './device-directory.service';

/** Failed CONNECTs before back-off starts: a site gateway behind one address holds many devices; a device id is one device. */
const FREE_FAILURES = { address: 20, device: 5 } as const;

export type DeviceAuthResult = { ok: true } | { ok: false; reason: 'throttled' | 'unknown_device' | 'disabled' | 'bad_secret' };

/**
 * Device authentication for every broker the platform answers for (the embedded one, EMQX's
 * hooks): failed attempts back off exponentially per source address and per device id, and
 * during a back-off an attempt is refused at once, without hashing. The first back-off of a key,
 * and every tenth failure after, is audited.
 */
@Injectable()
export class DeviceAuthService {
  private readonly logger = new Logger(DeviceAuthService.name);
  private readonly byAddress = new FailureThrottle({ freeFailures: FREE_FAILURES.address, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, forgetAfterMs: 30 * 60_000, maxKeys: 100_000 });
  // Short: a flood against a real device id also keeps the device itself out while it lasts.
  private readonly byDevice = new FailureThrottle({ freeFailures: FREE_FAILURES.device, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 100_000 });

  constructor(
    private readonly directory: DeviceDirectoryService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
  ) {}

  async authenticate(deviceId: string, secret: string, source: string, broker: 'embedded' | 'emqx'): Promise<DeviceAuthResult> {
    const now = this.clock.now();
    if (this.byAddress.retryAfter(source, now) > 0 || this.byDevice.retryAfter(deviceId, now) > 0) return { ok: false, reason: 'throttled' };
    const result = await this.directory.checkSecret(deviceId, secret);
    if (result.ok) {
      this.byDevice.success(deviceId);
      return { ok: true };
    }
    this.noteFailure('address', source, now, broker);
    this.noteFailure('device', deviceId, now, broker);
    return { ok: false, reason: result.reason };
  }

  private noteFailure(kind: 'address' | 'device', key: string, now: number, broker: 'embedded' | 'emqx'): void {
    const state = (kind === 'address' ? this.byAddress : this.byDevice).failure(key, now);
    const over = state.failures - FREE_FAILURES[kind];
    if (over === 1 || (over > 1 && over % 10 === 0)) {
      this.audit.record({
        actorId: null,
        action: 'mqtt.auth.throttled',
        subjectType: kind === 'address' ? 'mqtt_address' : 'device',
        subjectId: key.slice(0, 128),
        detail: { failures: state.failures, lockedUntil: new Date(state.lockedUntil).toISOString(), broker },
      }).catch((error: Error) => this.logger.warn(`audit of a throttled MQTT login failed: ${error.message}`));
    }
  }
}
