import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { type EscalationChain, escalationChainSchema } from '@app/contracts';
import { defaultChain, jobPriority, nextEscalation, startTiers, tierRecipients, wantsNotification } from '../domain/alarm-escalation';
import type { PlatformConfig } from '../config/config';
import { InjectConfig } from '../config/config.provider';
import { type ReminderBounds, reminderDelayS } from '../domain/alarm-reminders';
import { signedDelivery } from '../domain/alarm-webhook';
import { Permission } from '../domain/permissions';
import { type AlarmRow, AlarmRepository } from '../repositories/alarm.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { arrivalJob, escalateJob, jobIds, reminderJob, webhookJob } from '../repositories/job-catalogue';
import { type Deferral, JobRepository } from '../repositories/job.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { WebhookRefusedError, WebhookRepository, WebhookTimeoutError } from '../repositories/webhook.repository';
import { AccessService } from './access.service';
import { AlarmSettingsService } from './alarm-settings.service';
import { deferDelayMs, WebhookLanes } from './webhook-lanes';


const HOUR_MS = 3_600_000;
const MAX_TIERS = 10;
/** A webhook delivery is tried this often, 0.5 s, 1 s, 2 s, … apart. */
const WEBHOOK_ATTEMPTS = 6;
const WEBHOOK_BACKOFF_MS = 500;

export interface AlarmLifecycle {
  raise(r: { communityId: string; deviceId: string; type: string; severity: number; source: 'platform'; ts: number; detail: Record<string, unknown> }): Promise<unknown>;
  clearOpen(deviceId: string, type: string): Promise<unknown>;
  announce(alarm: AlarmRow): void;
}

/**
 * Dispatch and escalation on BullMQ delayed jobs (queue 'alarms'): tier 0 and the tiers flagged
 * notifyAtStart are told at once, each with its deadline counted from the raise; any other tier is
 * told when the tier before it lets its ackWithinS lapse (domain/alarm-escalation); an arrival deadline raises an
 * arrival_overdue alarm; reminders repeat until the alarm is cleared (or arrival reported).
 * Acknowledgement and clear cancel the pending jobs (and every handler re-checks the alarm).
 * Notifications: the per-user inbox and signed webhooks (queue 'notifications', retried with
 * back-off), filtered by user preferences and capped per device and hour (severity 1 never is).
 * Each webhook endpoint has a lane of its own (WebhookLanes): a few calls in flight, a bounded
 * queue of deliveries waiting in Redis, a time-out per call, so an endpoint that never answers
 * delays no other endpoint and a crash loses no waiting delivery.
 */
@Injectable()
export class AlarmDispatchService {
  private readonly logger = new Logger(AlarmDispatchService.name);
  private lifecycle?: AlarmLifecycle;
  private readonly reminderBounds: ReminderBounds;
  private readonly lanes: WebhookLanes;
  private readonly webhookTimeoutMs: number;

  constructor(
    private readonly jobs: JobRepository,
    private readonly alarms: AlarmRepository,
    private readonly communities: CommunityRepository,
    private readonly devices: DeviceRepository,
    private readonly redis: RedisRepository,
    private readonly clock: ClockRepository,
    private readonly webhooks: WebhookRepository,
    private readonly metrics: MetricsRepository,
    private readonly settings: AlarmSettingsService,
    private readonly access: AccessService,
    @InjectConfig() config: PlatformConfig,
  ) {
    this.reminderBounds = { minIntervalS: config.notifications.reminderMinIntervalS, perAlarm: config.notifications.remindersPerAlarm };
    this.lanes = new WebhookLanes(config.notifications.webhookConcurrency, config.notifications.webhookQueue);
    this.webhookTimeoutMs = config.notifications.webhookTimeoutMs;
    jobs.handle(escalateJob, ({ alarmId, tier, atStart }) => this.escalate(alarmId, tier, atStart ?? false));
    jobs.handle(arrivalJob, ({ alarmId }) => this.arrivalDue(alarmId));
    jobs.handle(reminderJob, ({ alarmId, n }) => this.remind(alarmId, n));
    jobs.handle(webhookJob, (data) => this.deliverWebhook(data));
  }

  setLifecycle(lifecycle: AlarmLifecycle): void {
    this.lifecycle = lifecycle;
  }

  async chainFor(communityId: string, type: string, severity: number): Promise<EscalationChain> {
    const stored = await this.alarms.chain(communityId, type);
    if (stored) {
      const parsed = escalationChainSchema.safeParse(stored);
      if (parsed.success) return parsed.data;
    }
    return defaultChain(type, severity);
  }

  /** A new alarm: tell tier 0 and the notifyAtStart tiers now (their deadlines count from now), start the arrival deadline and the reminders. */
  async start(alarm: AlarmRow): Promise<void> {
    const chain = await this.chainFor(alarm.community_id, alarm.type, alarm.severity);
    const priority = jobPriority(alarm.type, alarm.severity);
    const now = this.clock.now();
    for (const tier of startTiers(chain)) {
      await this.jobs.schedule(escalateJob, { alarmId: alarm.id, tier, atStart: true }, { jobId: jobIds.escalate(alarm.id, tier), dueAt: now, priority });
      const next = nextEscalation(chain, tier);
      if (next) await this.jobs.schedule(escalateJob, { alarmId: alarm.id, tier: next.tier }, { jobId: jobIds.escalate(alarm.id, next.tier), dueAt: now + next.afterMs, priority });
    }
    if (chain.arrivalWithinS) {
      await this.jobs.schedule(arrivalJob, { alarmId: alarm.id }, { jobId: jobIds.arrival(alarm.id), dueAt: now + chain.arrivalWithinS * 1000, priority });
    }
    const firstReminderS = reminderDelayS(chain.reminderEveryS, 1, this.reminderBounds);
    if (firstReminderS !== undefined) {
      await this.jobs.schedule(reminderJob, { alarmId: alarm.id, n: 1 }, { jobId: jobIds.reminder(alarm.id, 1), dueAt: now + firstReminderS * 1000, priority });
    }
  }

  /** Acknowledged: no further escalation. Cleared: nothing more at all. Arrived: no arrival deadline. */
  async stop(alarm: AlarmRow, why: 'acknowledged' | 'cleared' | 'arrived'): Promise<void> {
    const ids: string[] = [];
    if (why !== 'arrived') for (let t = 0; t < MAX_TIERS; t++) ids.push(jobIds.escalate(alarm.id, t));
    if (why !== 'acknowledged') ids.push(jobIds.arrival(alarm.id));
    await this.jobs.cancelSteps('alarms', ids);
  }

  private async escalate(alarmId: string, tier: number, atStart: boolean): Promise<void> {
    const alarm = await this.alarms.findById(alarmId);
    if (!alarm || alarm.state !== 'active') return;
    const first = atStart || tier === 0;
    if (!first && alarm.acknowledged) return;
    const chain = await this.chainFor(alarm.community_id, alarm.type, alarm.severity);
    const t = chain.tiers[tier];
    if (!t) return;
    let current = alarm;
    if (!first) {
      const updated = await this.alarms.update(alarmId, { escalation_tier: tier }, { state: 'active', acknowledged: false });
      if (!updated) return;
      current = updated;
      await this.alarms.addEvent(alarmId, new Date(this.clock.now()), null, 'escalated', { tier, tierName: t.name });
      this.lifecycle?.announce(current);
    }
    await this.notify(current, tier, t.name, first ? 'notify' : 'escalation', chain);
    if (atStart) return; // its follow-up was scheduled at the raise, counted from the raise
    const next = nextEscalation(chain, tier);
    if (next) {
      await this.jobs.schedule(escalateJob, { alarmId, tier: next.tier }, { jobId: jobIds.escalate(alarmId, next.tier), dueAt: this.clock.now() + next.afterMs, priority: jobPriority(alarm.type, alarm.severity) });
    }
  }

  private async arrivalDue(alarmId: string): Promise<void> {
    const alarm = await this.alarms.findById(alarmId);
    if (!alarm || alarm.state !== 'active' || alarm.arrived_at) return;
    await this.alarms.addEvent(alarmId, new Date(this.clock.now()), null, 'arrival_overdue', {});
    await this.lifecycle?.raise({
      communityId: alarm.community_id,
      deviceId: alarm.device_id,
      type: 'arrival_overdue',
      severity: 1,
      source: 'platform',
      ts: this.clock.now(),
      detail: { alarmId, alarmType: alarm.type },
    });
  }

  private async remind(alarmId: string, n: number): Promise<void> {
    const alarm = await this.alarms.findById(alarmId);
    if (!alarm || alarm.state !== 'active') return;
    const chain = await this.chainFor(alarm.community_id, alarm.type, alarm.severity);
    const resolved = chain.arrivalWithinS ? alarm.arrived_at !== null : alarm.acknowledged;
    if (resolved || reminderDelayS(chain.reminderEveryS, n, this.reminderBounds) === undefined) return;
    const tier = chain.tiers[Math.min(alarm.escalation_tier, chain.tiers.length - 1)];
    await this.notify(alarm, alarm.escalation_tier, tier.name, 'reminder', chain);
    const nextS = reminderDelayS(chain.reminderEveryS, n + 1, this.reminderBounds);
    if (nextS === undefined) return;
    await this.jobs.schedule(reminderJob, { alarmId, n: n + 1 }, { jobId: jobIds.reminder(alarmId, n + 1), dueAt: this.clock.now() + nextS * 1000, priority: jobPriority(alarm.type, alarm.severity) });
  }

  /** Inbox rows for the tier's users (and the assignee), and webhook jobs for the community. */
  private async notify(alarm: AlarmRow, tierIndex: number, tierName: string, kind: 'notify' | 'escalation' | 'reminder', chain: EscalationChain): Promise<void> {
    if (alarm.severity > 1 && !(await this.withinCap(alarm))) {
      this.metrics.alarmNotifications.inc({ channel: 'all', outcome: 'capped' });
      await this.alarms.addEvent(alarm.id, new Date(this.clock.now()), null, 'notification_capped', { tier: tierIndex, kind });
      return;
    }
    const tier = chain.tiers[tierIndex];
    const community = await this.communities.findById(alarm.community_id);
    if (!community) return;
    const users = await this.alarms.usersWithRoles([...(tier.roles ?? [])]);
    const candidates = users.map((u) => ({ id: u.id, role: u.role, scopeLevel: u.scope_level, communityIds: u.community_ids ?? [], street: u.scope_street, district: u.scope_district }));
    let ids = tierRecipients(tier, candidates, community);
    if (tier.userIds?.length) {
      // Named users are told only while they may still see the community's alarms.
      const reaching = new Set(await this.access.usersReaching(tier.userIds, community, Permission.AlarmRead));
      ids = ids.filter((id) => !tier.userIds!.includes(id) || reaching.has(id));
    }
    if (alarm.assignee_id && !ids.includes(alarm.assignee_id)) ids.push(alarm.assignee_id);
    const prefs = await this.alarms.prefs(ids);
    const to = ids.filter((id) => alarm.severity === 1 || wantsNotification(prefs.get(id), alarm.severity, alarm.type));
    const at = new Date(this.clock.now());
    await this.alarms.addInbox(to.map((userId) => ({ userId, alarmId: alarm.id, kind, tier: tierIndex, at })));
    this.metrics.alarmNotifications.inc({ channel: 'inbox', outcome: 'sent' }, to.length);
    await this.alarms.addEvent(alarm.id, at, null, 'notified', { tier: tierIndex, tierName, kind, userIds: to });
    for (const hook of await this.alarms.webhooks(alarm.community_id)) {
      if (alarm.severity > hook.min_severity) continue;
      await this.jobs.add(
        webhookJob,
        { webhookId: hook.id, alarmId: alarm.id, kind, tier: tierIndex, tierName },
        { priority: jobPriority(alarm.type, alarm.severity) },
      );
    }
  }

  /** At most `notifyCapPerHour` notifications of a device in any 60 minutes (a sliding window). */
  private async withinCap(alarm: AlarmRow): Promise<boolean> {
    const cap = this.settings.thresholdsFor(alarm.community_id, alarm.device_id).notifyCapPerHour;
    const now = this.clock.now();
    return (await this.redis.countInNotifyWindow(alarm.device_id, `${now}:${alarm.id}:${Math.random()}`, now, HOUR_MS)) <= cap;
  }

  /**
   * Hands the delivery to its endpoint's lane: with a call free it runs now (this job stays open
   * until it is done); with every call of the endpoint taken, this job goes back to Redis to ask
   * again a little later (nothing waits in memory, so a crash loses no delivery, and no worker
   * waits on the slow endpoint); with the endpoint's queue full, it is dropped and counted. A
   * failed try is retried as a delayed job of its own, so no worker waits out the back-off either.
   */
  private async deliverWebhook(data: z.infer<typeof webhookJob.schema>): Promise<Deferral<z.infer<typeof webhookJob.schema>> | undefined> {
    const hook = await this.alarms.webhook(data.webhookId);
    const alarm = await this.alarms.findById(data.alarmId);
    if (!hook || !alarm) return;
    const device = await this.devices.findById(alarm.device_id);
    const event = {
      alarmId: alarm.id,
      deviceId: alarm.device_id,
      communityId: alarm.community_id,
      type: alarm.type,
      severity: alarm.severity,
      state: alarm.state,
      acknowledged: alarm.acknowledged,
      count: alarm.count,
      source: alarm.source,
      escalationTier: alarm.escalation_tier,
      assigneeId: alarm.assignee_id,
      ts: alarm.last_at.getTime(),
    };
    const message = { kind: data.kind, tier: data.tier, tierName: data.tierName, alarm: event, deviceName: device?.name };
    const outcome = await this.lanes.submit(
      hook.id,
      async () => {
        this.metrics.webhookQueued.set({ webhook: hook.id }, this.lanes.queued(hook.id));
        // Signed when sent: a delivery that waited for its lane still carries a fresh timestamp.
        await this.post(hook.id, signedDelivery(hook.format, hook.url, hook.secret, message, this.clock.now()), data);
      },
      data.deferrals !== undefined,
    );
    this.metrics.webhookQueued.set({ webhook: hook.id }, this.lanes.queued(hook.id));
    if (outcome === 'dropped') {
      this.metrics.webhookDropped.inc({ webhook: hook.id, reason: 'queue_full' });
      this.metrics.alarmNotifications.inc({ channel: 'webhook', outcome: 'failed' });
    }
    if (outcome !== 'deferred') return;
    const deferrals = (data.deferrals ?? 0) + 1;
    return { deferMs: deferDelayMs(deferrals, Math.random()), data: { ...data, deferrals } };
  }

  /** One try; never throws (a lane's queued delivery has no one to throw to). */
  private async post(webhookId: string, delivery: ReturnType<typeof signedDelivery>, data: z.infer<typeof webhookJob.schema>): Promise<void> {
    const attempt = data.attempt ?? 1;
    try {
      await this.webhooks.post(delivery, this.webhookTimeoutMs);
      this.metrics.alarmNotifications.inc({ channel: 'webhook', outcome: 'sent' });
      return;
    } catch (error) {
      this.metrics.alarmNotifications.inc({ channel: 'webhook', outcome: 'failed' });
      this.logger.warn(`webhook ${webhookId} for alarm ${data.alarmId} (try ${attempt}): ${(error as Error).message}`);
      if (error instanceof WebhookTimeoutError) this.metrics.webhookTimeouts.inc({ webhook: webhookId });
      // A refused address stays refused: counted, not retried.
      if (error instanceof WebhookRefusedError) return void this.metrics.webhookRefused.inc({ stage: 'delivery', reason: error.reason });
    }
    if (attempt >= WEBHOOK_ATTEMPTS) return void this.metrics.webhookDropped.inc({ webhook: webhookId, reason: 'retries_exhausted' });
    await this.jobs
      .add(webhookJob, { ...data, attempt: attempt + 1 }, { delay: WEBHOOK_BACKOFF_MS * 2 ** (attempt - 1) })
      .catch((error: Error) => {
        this.metrics.webhookDropped.inc({ webhook: webhookId, reason: 'retry_not_queued' });
        this.logger.warn(`webhook ${webhookId} for alarm ${data.alarmId}: retry not queued (${error.message})`);
      });
  }
}
