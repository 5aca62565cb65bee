import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import {
  SharedRuleSets,
  type DeviceRuleState,
  deserializeState,
  evaluate,
  drainInputs,
  type RuleInput,
  type RuleSet,
  serializeState,
  type Transition,
} from '../domain/alarm-rules';
import { alarmOps, compareRuleOpIds, type RuleAlarmOp, ruleAlarmOpSchema, ruleOpId, stillCurrent } from '../domain/alarm-rule-outbox';
import type { DeviceProfile } from '../domain/device-profile';
import { ClockRepository } from '../repositories/clock.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { FaultRepository } from '../repositories/fault.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
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

/** RULE_STATE=shared: a drain given up after this many lost compare-and-sets in a row. */
export const RULE_CAS_MAX_ATTEMPTS = 20;
/** RULE_STATE=shared: devices taken from the held and due sets per sweep, inputs per drain. */
const DUE_BATCH = 500;
const DRAIN_BATCH = 1000;
/**
 * RULE_STATE=shared: a raise or clear still in the rule outbox this long after its commit is
 * replayed by whichever process's sweep claims it first (and the claim keeps the others off it as
 * long). Its own process executes it in a few database round trips, well within this even on a
 * loaded machine, unless it died or the database failed. A replay of one applied before changes
 * nothing, but one racing its own process's raise still under way could count it as a repeat:
 * hence seconds, not less, at the price of an alarm that late after a crash.
 */
export const RULE_OUTBOX_REPLAY_AFTER_MS = 10_000;
const OUTBOX_BATCH = 100;

/** RULE_STATE=shared: a device's compiled rules in this process (its state is in Redis). */
interface SharedEntry {
  device: DeviceProfile;
  set: RuleSet;
}

/** Notice channel: a process took a device's connection and its rule state (MQTT_CLUSTER). */
const RULE_STATE_ADOPTED = 'alarm-rule-state-adopted';

/**
 * Runs the detection rules on every reading, event and presence change (event bus, synchronous:
 * a map lookup and a few comparisons per reading). Rule state lives in memory and is written to
 * Redis in batches (only devices whose state changed), and reloaded on start, so a condition that
 * began before a restart still raises at the right time. A sweep fires holds and delayed clears
 * when no further reading arrives. Raising and clearing happen off the hot path (AlarmService).
 *
 * RULE_STATE=shared (the default with an external broker): Mosquitto hands the messages of a
 * shared subscription round-robin to the processes of the group, so one device's consecutive
 * readings land in different processes, and per-process state sees fragments ("lasts N s" raised
 * by every process, "N in a row" never, or raised on readings that were not in a row). There a
 * device's state is authoritative in Redis, and no process keeps anything of it in memory:
 * - each input goes to the device's inbox in Redis, ordered by device ts (hold(), one round trip);
 *   the processes' backlogs differ (each acknowledges one message at a time, after its ingestion
 *   log's fdatasync), so one device's messages reach the rules out of order by up to seconds;
 * - any process's sweep (every ALARM_SWEEP_MS) drains devices whose inputs have waited out the
 *   reorder window (RULE_REORDER_WINDOW_MS) or whose hold/delayed clear is due: it reads state,
 *   version and those inputs in one snapshot, evaluates them oldest first (domain drainInputs),
 *   and commits with a compare-and-set on the version that also takes the inputs out of the inbox;
 *   a lost commit is retried on a fresh snapshot (drain(), two round trips);
 * - raise and clear run only after the winning commit: each transition once across processes;
 *   the commit also puts them in the rule outbox in Redis, and each leaves it once AlarmService has
 *   committed it: one a process killed in between (or a database error) left behind is replayed by
 *   any process's sweep after RULE_OUTBOX_REPLAY_AFTER_MS, unless the rule state has moved past it,
 *   and AlarmService makes a replay of one applied before change nothing;
 * - within a process one device's drains run one after the other (a promise chain per device);
 * - the rules run the window behind the clock (streamNow()): an input is evaluated as of its own
 *   time, and a deadline fires only once every input before it has been evaluated;
 * - an input older than the newest one evaluated for its device (late beyond the window) is stored
 *   as usual but not evaluated, counted in spp_alarm_rule_inputs_out_of_order_total;
 * - nothing is lost with a process killed: held inputs and armed deadlines are in Redis.
 * The price: alarms raise and clear a window later (2 s by default), and about 1 + 2/k round trips
 * per input (k inputs per drain) instead of one batched write per 500 ms. EMQX with
 * hash_clientid keeps a device on one process and can run RULE_STATE=local (deploy/README.md §5).
 */
@Injectable()
export class AlarmDetectionService implements OnModuleInit {
  private readonly logger = new Logger(AlarmDetectionService.name);
  private readonly entries = new Map<string, Entry>();
  private readonly ruleSets = new SharedRuleSets();
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
  private readonly sharedState: boolean;
  /** RULE_STATE=shared: per device, its rules and state as last seen. */
  private readonly sharedEntries = new Map<string, SharedEntry>();
  /** RULE_STATE=shared: per device, the tail of its chain of evaluations in this process. */
  private readonly chains = new Map<string, Promise<void>>();
  /** RULE_STATE=shared: devices with a drain queued (not queued twice). */
  private readonly draining = new Set<string>();
  private sweepingShared = false;
  /** RULE_STATE=shared: inputs being written to their inbox (awaited by finish()). */
  private readonly holding = new Set<Promise<void>>();
  /** RULE_STATE=shared: committed raises and clears under way (awaited by finish()). */
  private readonly executing = new Set<Promise<void>>();
  /** RULE_STATE=shared: outbox ops this process is replaying (not claimed twice). */
  private readonly replaying = new Set<string>();
  private nonce = 0;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly bus: EventBusRepository,
    private readonly clock: ClockRepository,
    private readonly redis: RedisRepository,
    private readonly directory: DeviceDirectoryService,
    private readonly settings: AlarmSettingsService,
    private readonly alarms: AlarmService,
    private readonly metrics: MetricsRepository,
    private readonly faults: FaultRepository,
  ) {
    this.sharedState = config.alarms.ruleState === 'shared';
    if (this.sharedState) {
      this.listenShared();
      return;
    }
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
    if (this.sharedState) {
      this.sweepTimer = setInterval(() => void this.sweepShared(), ALARM_SWEEP_MS);
      this.sweepTimer.unref();
      return;
    }
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
    if (this.sharedState) {
      // Nothing is kept in memory: inputs are written to their inbox (any process drains them),
      // drains under way end with their commit and transitions.
      await Promise.allSettled([...this.holding]);
      await Promise.allSettled([...this.chains.values()]);
      await Promise.allSettled([...this.executing]);
      await this.alarms.flushPending().catch(() => undefined);
      return;
    }
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
    if (this.sharedState) return; // the state is in Redis already
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
    if (!entry || this.finishing || this.sharedState) return;
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
    const set = this.compile(device);
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
    if (transitions.length > 0) this.transitions(entry.device, entry.set, entry.state, transitions);
  }

  private transitions(d: DeviceProfile, set: RuleSet, state: DeviceRuleState, transitions: readonly Transition[]): void {
    for (const op of alarmOps(d, set, state, transitions)) this.execute(op).catch((e) => this.alarms.logFailure(`${op.action} ${op.type} on ${op.deviceId}`, e));
  }

  /** One raise or clear (AlarmService keeps one device and type in call order); `replayed`: from the rule outbox, maybe applied before. */
  private execute(op: RuleAlarmOp, replayed = false): Promise<unknown> {
    if (op.action === 'raise') {
      const { communityId, deviceId, type, severity, source, ts } = op;
      return this.alarms.raise({ communityId, deviceId, type, severity, source, ts, detail: { rule: op.ruleId } }, { replayed });
    }
    return this.alarms.clearByDevice(op.deviceId, op.type, null, 'condition ended', replayed ? op.ts : undefined);
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

  // ---------------------------------------------------------------------------- RULE_STATE=shared

  private listenShared(): void {
    this.bus.on('device.reading', ({ device, reading, ts }) => this.hold(device, { kind: 'reading', reading: reading as unknown as Record<string, unknown>, ts }));
    this.bus.on('device.event', ({ device, event, ts }) => {
      if (!('active' in event)) return;
      this.hold(device, { kind: 'event', type: event.type, active: event.active, ts });
    });
    this.bus.on('device.presence', ({ device, online, ts }) => this.hold(device, { kind: 'presence', online, ts }));
    // The stored state is keyed by rule id: recompiling keeps it.
    this.bus.on('alarm-settings.changed', () => {
      this.ruleSets.clear();
      for (const entry of this.sharedEntries.values()) entry.set = this.compile(entry.device);
    });
    this.bus.on('device.changed', ({ deviceId }) => this.sharedEntries.delete(deviceId));
  }

  private compile(device: DeviceProfile): RuleSet {
    return this.ruleSets.compile(device.kind, device.subtype, ...this.settings.layersFor(device.communityId, device.id));
  }

  /**
   * An input waits in the device's inbox in Redis, ordered by device ts, for the reorder window
   * (RULE_REORDER_WINDOW_MS): one device's consecutive messages reach different processes, each
   * with its own backlog (a process acknowledges one message at a time, after its ingestion log's
   * fdatasync), so they arrive out of order by up to seconds. Held in Redis, not in this process,
   * so a process that dies does not take the inputs it received with it: any process drains them.
   * One round trip; an input older than the newest evaluated is refused at once (counted).
   */
  private hold(device: DeviceProfile, input: Exclude<RuleInput, { kind: 'tick' }>): void {
    this.sharedEntry(device);
    const member = JSON.stringify({ n: this.nonce++, p: this.processId.slice(0, 8), i: input });
    const write = this.redis
      .holdRuleInput(device.id, input.ts, member)
      .then((held) => {
        if (!held) this.metrics.alarmRuleInputsOutOfOrder.inc();
      })
      .catch((error: Error) => this.logger.warn(`alarm rule input of ${device.id} not held: ${error.message}`))
      .finally(() => this.holding.delete(write));
    this.holding.add(write);
  }

  private sharedEntry(device: DeviceProfile): SharedEntry {
    let entry = this.sharedEntries.get(device.id);
    if (!entry) {
      entry = { device, set: this.compile(device) };
      this.sharedEntries.set(device.id, entry);
    } else if (entry.device !== device) entry.device = device;
    return entry;
  }

  /**
   * The time the shared rules run at: the reorder window behind the clock. Inputs are evaluated
   * once their ts is that far behind, as of that time, and a hold or delayed clear fires only once
   * every input before its deadline has had its window: otherwise a reading that waited 3 s would
   * find a 3 s hold already lasted, and a deadline would fire before the reading that ends the
   * condition is evaluated. Alarms are raised and cleared a window later than in "local".
   */
  private streamNow(): number {
    return this.clock.now() - this.config.alarms.reorderWindowMs;
  }

  /** Runs `task` after the device's drains already queued in this process (no conflict with itself). */
  private enqueue(deviceId: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(deviceId);
    const run = () => task().catch((error: Error) => this.logger.warn(`alarm rules of ${deviceId} not evaluated: ${error.message}`));
    const next = previous ? previous.then(run) : run();
    this.chains.set(deviceId, next);
    void next.then(() => {
      if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
    });
    return next;
  }

  /**
   * Evaluates the device's inputs whose window has passed, oldest first, then a tick, on its
   * stored state, and commits with a compare-and-set on the state's version (the inputs leave the
   * inbox, the raises and clears enter the rule outbox in the same script); on a conflict, again on
   * a fresh snapshot. Transitions are executed only after a winning commit, so once across
   * processes. Two round trips per drain (one when there is nothing to do), one more per transition.
   */
  private async drain(device: DeviceProfile): Promise<void> {
    const entry = this.sharedEntry(device);
    for (let attempt = 0; attempt < RULE_CAS_MAX_ATTEMPTS; attempt++) {
      const now = this.streamNow();
      const snap = await this.redis.readRuleInbox(device.id, now, DRAIN_BATCH);
      const inputs = snap.inputs.map((m) => (JSON.parse(m) as { i: Exclude<RuleInput, { kind: 'tick' }> }).i);
      const result = drainInputs(entry.set, snap.json || undefined, snap.newestTs, inputs, now);
      this.metrics.alarmRuleEvaluations.inc(inputs.length + 1);
      // Nothing waited and the tick changed nothing (another process drained it first): no write.
      if (inputs.length === 0 && result.json === undefined && result.transitions.length === 0) return;
      // Named by the version this commit creates: a lost commit writes none of them.
      const ops = alarmOps(entry.device, entry.set, result.state, result.transitions).map((op, i) => [ruleOpId(device.id, snap.version + 1, i), op] as const);
      const version = await this.redis.commitRuleInbox({
        deviceId: device.id,
        version: snap.version,
        json: result.json,
        newestTs: result.newestTs,
        nextDeadline: result.state.nextDeadline,
        inputs: snap.inputs,
        ops: ops.map(([id, op]) => [id, JSON.stringify(op)]),
        replayAt: this.clock.now() + RULE_OUTBOX_REPLAY_AFTER_MS,
      });
      if (version === null) {
        this.metrics.alarmRuleCasConflicts.inc();
        continue;
      }
      if (result.late > 0) this.metrics.alarmRuleInputsOutOfOrder.inc(result.late);
      if (ops.length > 0) {
        this.faults.at('crash-after-rule-commit');
        for (const [id, op] of ops) this.executeCommitted(id, op);
      }
      return;
    }
    this.logger.warn(`alarm rules of ${device.id}: not evaluated, its state changed under this process ${RULE_CAS_MAX_ATTEMPTS} times in a row`);
  }

  /** Executes a committed op and takes it out of the rule outbox; one that failed stays there for a replay. */
  private executeCommitted(id: string, op: RuleAlarmOp): void {
    const done = this.execute(op)
      .then(() => this.redis.removeRuleOutbox([id]))
      .catch((e) => this.alarms.logFailure(`${op.action} ${op.type} on ${op.deviceId} (left to be replayed)`, e))
      .finally(() => this.executing.delete(done));
    this.executing.add(done);
  }

  /**
   * Drains every device with inputs past their window or a hold/delayed clear due, whichever
   * process received them or armed it (the held and due sets are shared): a device of a process
   * that has died is drained too. Two processes draining one device: the second finds nothing.
   */
  private async sweepShared(): Promise<void> {
    if (this.sweepingShared) return;
    this.sweepingShared = true;
    try {
      const now = this.streamNow();
      const [held, due] = await Promise.all([this.redis.heldRuleDevices(now, DUE_BATCH), this.redis.dueRuleDevices(now, DUE_BATCH)]);
      for (const deviceId of new Set([...held, ...due])) {
        if (this.draining.has(deviceId)) continue;
        const device = await this.directory.get(deviceId).catch(() => undefined);
        if (device === null) {
          await this.redis.forgetRuleDevice(deviceId);
          continue;
        }
        if (!device) continue;
        this.draining.add(deviceId);
        void this.enqueue(deviceId, () => this.drain(device)).finally(() => this.draining.delete(deviceId));
      }
      await this.claimOutbox();
    } catch (error) {
      this.logger.warn(`alarm rule inputs and deadlines not checked: ${(error as Error).message}`);
    } finally {
      this.sweepingShared = false;
    }
  }

  /**
   * Claims the rule outbox's ops left over past RULE_OUTBOX_REPLAY_AFTER_MS (whoever committed
   * them), for this process alone until the claim runs out, and replays them per device, after the
   * device's drains queued here.
   */
  private async claimOutbox(): Promise<void> {
    const now = this.clock.now();
    const byDevice = new Map<string, Array<[string, RuleAlarmOp]>>();
    for (const [id, json] of await this.redis.claimRuleOutbox(now, now + RULE_OUTBOX_REPLAY_AFTER_MS, OUTBOX_BATCH)) {
      if (this.replaying.has(id)) continue;
      const parsed = ruleAlarmOpSchema.safeParse(parseJson(json));
      if (!parsed.success) {
        this.logger.warn(`rule outbox op ${id} dropped, not readable: ${json.slice(0, 200)}`);
        await this.redis.removeRuleOutbox([id]);
        continue;
      }
      this.replaying.add(id);
      const ops = byDevice.get(parsed.data.deviceId) ?? [];
      ops.push([id, parsed.data]);
      byDevice.set(parsed.data.deviceId, ops);
    }
    for (const [deviceId, ops] of byDevice) {
      void this.enqueue(deviceId, () => this.replay(deviceId, ops)).finally(() => {
        for (const [id] of ops) this.replaying.delete(id);
      });
    }
  }

  /**
   * Replays one device's outbox ops in commit order, those its rule state now still agrees with
   * (stillCurrent: a raise whose condition was cleared meanwhile is dropped); a replay of one
   * applied before the crash changes nothing (AlarmService). One that fails stays claimed until the
   * claim runs out, then it is tried again.
   */
  private async replay(deviceId: string, ops: Array<[string, RuleAlarmOp]>): Promise<void> {
    const device = await this.directory.get(deviceId).catch(() => undefined);
    if (device === undefined) return;
    if (device === null) {
      await this.redis.removeRuleOutbox(ops.map(([id]) => id));
      return;
    }
    const { set } = this.sharedEntry(device);
    const state = deserializeState(set, (await this.redis.readRuleState(deviceId)) ?? undefined);
    for (const [id, op] of ops.sort(([a], [b]) => compareRuleOpIds(a, b))) {
      const current = stillCurrent(set, state, op);
      if (current) {
        try {
          await this.execute(op, true);
        } catch (e) {
          this.logger.warn(`${op.action} ${op.type} on ${deviceId} not replayed, tried again in ${RULE_OUTBOX_REPLAY_AFTER_MS / 1000} s: ${(e as Error).message}`);
          return;
        }
      }
      this.metrics.alarmRuleOpsReplayed.inc({ action: op.action, outcome: current ? 'replayed' : 'superseded' });
      await this.redis.removeRuleOutbox([id]);
    }
  }

  /** Settings changed: compile again, carrying the state over by rule id. */
  private recompileAll(): void {
    this.ruleSets.clear();
    for (const entry of this.entries.values()) {
      const json = serializeState(entry.set, entry.state);
      const set = this.compile(entry.device);
      entry.set = set;
      entry.state = deserializeState(set, json);
      if (entry.state.nextDeadline > 0) this.armed.add(entry);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
