import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import {
  compileRules,
  type DeviceRuleState,
  deserializeState,
  evaluate,
  heldByAnotherRule,
  type RuleInput,
  type RuleSet,
  serializeState,
  type Transition,
} from '../domain/alarm-rules';
import type { DeviceProfile } from '../domain/device-profile';
import { ClockRepository } from '../repositories/clock.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { AlarmService } from './alarm.service';
import { AlarmSettingsService } from './alarm-settings.service';
import { DeviceDirectoryService } from './device-directory.service';

/** How often "lasts N seconds" and delayed clears are checked without a new reading. */
export const ALARM_SWEEP_MS = 250;
/** How often changed rule state is written to Redis. */
export const ALARM_STATE_FLUSH_MS = 500;

interface Entry {
  device: DeviceProfile;
  set: RuleSet;
  state: DeviceRuleState;
  queued: boolean;
  /** Another process took the device's connection: this entry is no longer written. */
  dropped?: boolean;
}

/** Notice channel: a process took a device's connection and its rule state (MQTT_CLUSTER). */
const RULE_STATE_ADOPTED = 'alarm-rule-state-adopted';

/**
 * Runs the detection rules on every reading, event and presence change (event bus, synchronous:
 * a map lookup and a few comparisons per reading). Rule state lives in memory and is written to
 * Redis in batches (only devices whose state changed), and reloaded on start, so a condition that
 * began before a restart still raises at the right time. A sweep fires holds and delayed clears
 * when no further reading arrives. Raising and clearing happen off the hot path (AlarmService).
 */
@Injectable()
export class AlarmDetectionService implements OnModuleInit {
  private readonly logger = new Logger(AlarmDetectionService.name);
  private readonly entries = new Map<string, Entry>();
  /** Stored state of devices not seen yet since start. */
  private readonly stored = new Map<string, string>();
  private readonly armed = new Set<Entry>();
  private dirty: Entry[] = [];
  private sweepTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Set by finish(): its last flush writes every held device, so releases write nothing more. */
  private finishing = false;
  private readonly releasing = new Set<Promise<void>>();
  private readonly scratchReading: { kind: 'reading'; reading: Record<string, unknown>; ts: number } = { kind: 'reading', reading: {}, ts: 0 };

  /** Tells this process's own notices from the others'. */
  private readonly processId = randomUUID();

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly bus: EventBusRepository,
    private readonly clock: ClockRepository,
    private readonly redis: RedisRepository,
    private readonly directory: DeviceDirectoryService,
    private readonly settings: AlarmSettingsService,
    private readonly alarms: AlarmService,
  ) {
    bus.on('device.reading', ({ device, reading, ts }) => {
      const entry = this.entry(device);
      const input = this.scratchReading;
      input.reading = reading as unknown as Record<string, unknown>;
      input.ts = ts;
      this.apply(entry, input);
    });
    bus.on('device.event', ({ device, event, ts }) => {
      if (!('active' in event)) return; // gate vehicle events carry no alarm
      this.apply(this.entry(device), { kind: 'event', type: event.type, active: event.active, ts });
    });
    bus.on('device.presence', ({ device, online, ts }) => this.apply(this.entry(device), { kind: 'presence', online, ts }));
    bus.on('alarm-settings.changed', () => this.recompileAll());
    bus.on('device.changed', ({ deviceId }) => {
      const e = this.entries.get(deviceId);
      if (e) this.stored.set(deviceId, serializeState(e.set, e.state));
      this.entries.delete(deviceId);
    });
  }

  async onModuleInit(): Promise<void> {
    const all = await this.redis.readAlarmRuleStates();
    for (const [deviceId, json] of Object.entries(all)) this.stored.set(deviceId, json);
    // Devices with a pending hold or clear need the sweep even if they never send again.
    for (const deviceId of [...this.stored.keys()]) {
      const device = await this.directory.get(deviceId).catch(() => null);
      if (device) {
        const entry = this.entry(device);
        if (entry.state.nextDeadline > 0) this.armed.add(entry);
      }
    }
    if (this.config.mqtt.cluster === 'redis') {
      await this.redis.listen(RULE_STATE_ADOPTED, (message) => {
        const { deviceId, by } = JSON.parse(message) as { deviceId: string; by: string };
        if (by !== this.processId) this.forget(deviceId);
      });
    }
    this.sweepTimer = setInterval(() => this.sweep(), ALARM_SWEEP_MS);
    this.flushTimer = setInterval(() => void this.flush(), ALARM_STATE_FLUSH_MS);
    this.sweepTimer.unref();
    this.flushTimer.unref();
    if (this.stored.size > 0) this.logger.log(`rule state of ${all ? Object.keys(all).length : 0} devices reloaded`);
  }

  /**
   * At shutdown, called by BrokerService once MQTT has stopped (no reading can change rule state
   * any more) and before Redis and the database close: the releases under way and the last
   * changes of rule state are written.
   */
  async finish(): Promise<void> {
    this.finishing = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.flushTimer);
    await Promise.allSettled([...this.releasing]);
    await this.alarms.flushPending().catch(() => undefined);
    await this.flush();
    await this.flush();
  }

  /**
   * MQTT_CLUSTER: the device connects to this process, maybe coming from another one. Before its
   * first message, its rule state is read from Redis (unless this process held it last: no other
   * process adopted it since, or this process would have forgotten it), and the others forget theirs.
   */
  async adoptDevice(deviceId: string): Promise<void> {
    if (!this.entries.has(deviceId)) {
      const json = await this.redis.readRuleState(deviceId);
      if (!this.entries.has(deviceId)) {
        if (json) this.stored.set(deviceId, json);
        else this.stored.delete(deviceId);
      }
    }
    await this.redis.notify(RULE_STATE_ADOPTED, JSON.stringify({ deviceId, by: this.processId }));
  }

  /** MQTT_CLUSTER: the device left this process; its rule state is written now for the next one. */
  releaseDevice(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    if (!entry || this.finishing) return;
    const write = this.redis
      .writeRuleState(deviceId, serializeState(entry.set, entry.state))
      .catch((error: Error) => this.logger.warn(`rule state of ${deviceId} not written: ${error.message}`))
      .finally(() => this.releasing.delete(write));
    this.releasing.add(write);
  }

  private forget(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    if (entry) {
      entry.dropped = true;
      this.armed.delete(entry);
      this.entries.delete(deviceId);
    }
    this.stored.delete(deviceId);
  }

  private entry(device: DeviceProfile): Entry {
    let entry = this.entries.get(device.id);
    if (entry !== undefined && entry.device === device) return entry;
    if (entry !== undefined) {
      entry.device = device; // the directory reloaded the profile (same rules)
      return entry;
    }
    const set = compileRules(device.kind, device.subtype, ...this.settings.layersFor(device.communityId, device.id));
    const stored = this.stored.get(device.id);
    this.stored.delete(device.id);
    entry = { device, set, state: deserializeState(set, stored), queued: false };
    this.entries.set(device.id, entry);
    return entry;
  }

  private apply(entry: Entry, input: RuleInput): void {
    const { transitions } = evaluate(entry.set, entry.state, input, this.clock.now());
    if (entry.state.dirty && !entry.queued) {
      entry.queued = true;
      this.dirty.push(entry);
    }
    if (entry.state.nextDeadline > 0) this.armed.add(entry);
    if (transitions.length > 0) this.transitions(entry, transitions);
  }

  private transitions(entry: Entry, transitions: readonly Transition[]): void {
    const d = entry.device;
    for (const t of transitions) {
      if (t.action === 'raise' || t.action === 'repeat') {
        this.alarms
          .raise({ communityId: d.communityId, deviceId: d.id, type: t.type, severity: t.severity, source: t.inferred ? 'platform' : 'device', ts: t.ts, detail: { rule: t.ruleId } })
          .catch((e) => this.alarms.logFailure(`raise ${t.type} on ${d.id}`, e));
      } else {
        // Another rule of the same type (device-reported and inferred) may still hold it.
        if (heldByAnotherRule(entry.set, entry.state, t.type, t.ruleId)) continue;
        this.alarms.clearByDevice(d.id, t.type).catch((e) => this.alarms.logFailure(`clear ${t.type} on ${d.id}`, e));
      }
    }
  }

  private sweep(): void {
    if (this.armed.size === 0) return;
    const now = this.clock.now();
    for (const entry of this.armed) {
      if (entry.state.nextDeadline === 0) {
        this.armed.delete(entry);
        continue;
      }
      if (now < entry.state.nextDeadline) continue;
      this.apply(entry, { kind: 'tick' });
      if (entry.state.nextDeadline === 0) this.armed.delete(entry);
    }
  }

  /** Writes changed rule state to Redis in one pipeline. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirty.length === 0) return Promise.resolve();
    const batch = this.dirty;
    this.dirty = [];
    const states: Array<[string, string | null]> = [];
    for (const entry of batch) {
      entry.queued = false;
      entry.state.dirty = false;
      if (entry.dropped) continue;
      const json = serializeState(entry.set, entry.state);
      states.push([entry.device.id, json === '{}' ? null : json]);
    }
    this.flushing = this.redis
      .writeAlarmRuleStates(states)
      .catch((error: Error) => {
        this.logger.warn(`rule state of ${batch.length} devices not written: ${error.message}`);
        for (const entry of batch) {
          if (!entry.queued) {
            entry.queued = true;
            this.dirty.push(entry);
          }
        }
      })
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Settings changed: compile again, carrying the state over by rule id. */
  private recompileAll(): void {
    for (const [id, entry] of this.entries) {
      const json = serializeState(entry.set, entry.state);
      const set = compileRules(entry.device.kind, entry.device.subtype, ...this.settings.layersFor(entry.device.communityId, id));
      entry.set = set;
      entry.state = deserializeState(set, json);
      if (entry.state.nextDeadline > 0) this.armed.add(entry);
    }
  }
}
