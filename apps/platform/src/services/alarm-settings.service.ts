import { BadRequestException, Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { type AlarmRuleOverridesBody, type CreateWebhookRequest, type EscalationChain, escalationChainSchema, type NotificationPrefs } from '@app/contracts';
import { defaultChain } from '../domain/alarm-escalation';
import { Permission } from '../domain/permissions';
import { ALARM_RULES, type AlarmRuleOverrides, alarmTypes, mergeOverrides, ruleById, severityOf, type Thresholds } from '../domain/alarm-rules';
import { AlarmRepository } from '../repositories/alarm.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

/**
 * Detection settings (alarm_rule_settings: JSON overrides per community and per device, merged
 * over the defaults of domain/alarm-rules), kept in memory for the ingestion path and reloaded in
 * every process when one changes (Redis pub/sub; `alarm-settings.changed` on the event bus). Also the REST of escalation chains, webhooks,
 * notification preferences and the inbox.
 */
@Injectable()
export class AlarmSettingsService implements OnModuleInit {
  private readonly logger = new Logger(AlarmSettingsService.name);
  private community = new Map<string, AlarmRuleOverrides>();
  private device = new Map<string, AlarmRuleOverrides>();

  constructor(
    private readonly alarms: AlarmRepository,
    private readonly access: AccessService,
    private readonly devices: DeviceRepository,
    private readonly audit: AuditRepository,
    private readonly redis: RedisRepository,
    private readonly clock: ClockRepository,
    private readonly webhooks: WebhookRepository,
    private readonly metrics: MetricsRepository,
    private readonly bus: EventBusRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    await this.redis.listen('alarm-settings-changed', () => void this.reload().catch((e: Error) => this.logger.warn(`settings reload failed: ${e.message}`)));
  }

  private async reload(): Promise<void> {
    const rows = await this.alarms.allSettings();
    const community = new Map<string, AlarmRuleOverrides>();
    const device = new Map<string, AlarmRuleOverrides>();
    for (const r of rows) (r.scope === 'community' ? community : device).set(r.scope_id, r.overrides as AlarmRuleOverrides);
    this.community = community;
    this.device = device;
    this.bus.emit('alarm-settings.changed', {});
  }

  /** Override layers of a device: its community's, then its own. */
  layersFor(communityId: string, deviceId: string): Array<AlarmRuleOverrides | undefined> {
    return [this.community.get(communityId), this.device.get(deviceId)];
  }

  thresholdsFor(communityId: string, deviceId: string): Thresholds {
    return mergeOverrides(...this.layersFor(communityId, deviceId)).thresholds;
  }

  // ---------------------------------------------------------------- REST: detection settings

  private async scopeCommunity(user: AuthUser, scope: 'community' | 'device', id: string): Promise<string> {
    if (scope === 'community') return (await this.access.requireInScope(user, id)).id;
    const device = await this.devices.findById(id);
    return (await this.access.requireInScope(user, device?.community_id, `device ${id}`)).id;
  }

  async getSettings(user: AuthUser, scope: 'community' | 'device', id: string) {
    const communityId = await this.scopeCommunity(user, scope, id);
    const overrides = (scope === 'community' ? this.community.get(id) : this.device.get(id)) ?? {};
    const layers = scope === 'community' ? [this.community.get(id)] : this.layersFor(communityId, id);
    const merged = mergeOverrides(...layers);
    return {
      scope,
      id,
      overrides,
      effective: merged,
      rules: ALARM_RULES.map((r) => ({ id: r.id, type: r.type, severity: r.severity, kinds: r.kinds, subtypes: r.subtypes ?? null, source: r.source, inferred: r.inferred, neverDebounce: r.neverDebounce ?? false })),
    };
  }

  async setSettings(user: AuthUser, scope: 'community' | 'device', id: string, overrides: AlarmRuleOverridesBody) {
    await this.scopeCommunity(user, scope, id);
    const unknown = Object.keys(overrides.rules ?? {}).filter((r) => !ruleById.has(r));
    if (unknown.length > 0) throw new BadRequestException(`unknown rules: ${unknown.join(', ')}`);
    await this.alarms.setSettings(scope, id, overrides as Record<string, unknown>, user.id, new Date(this.clock.now()));
    await this.audit.record({ actorId: user.id, action: 'alarm.settings', subjectType: `alarm_settings.${scope}`, subjectId: id, detail: overrides as Record<string, unknown> });
    await this.reload();
    await this.redis.notify('alarm-settings-changed', `${scope}:${id}`);
    return this.getSettings(user, scope, id);
  }

  // ---------------------------------------------------------------- REST: escalation chains

  private checkType(type: string): void {
    if (!alarmTypes.includes(type)) throw new NotFoundException(`alarm type ${type} not found`);
  }

  async getChain(user: AuthUser, communityId: string, type: string) {
    this.checkType(type);
    await this.access.requireInScope(user, communityId);
    const stored = await this.alarms.chain(communityId, type);
    // Parsed, so a chain stored before a field existed shows its default (e.g. notifyAtStart: false).
    const parsed = stored === undefined ? undefined : escalationChainSchema.safeParse(stored);
    return { communityId, type, custom: stored !== undefined, chain: parsed?.success ? parsed.data : ((stored as EscalationChain | undefined) ?? defaultChain(type, severityOf(type))) };
  }

  async setChain(user: AuthUser, communityId: string, type: string, chain: EscalationChain) {
    this.checkType(type);
    const community = await this.access.requireInScope(user, communityId);
    const named = [...new Set(chain.tiers.flatMap((t) => t.userIds ?? []))];
    const reaching = new Set(await this.access.usersReaching(named, community, Permission.AlarmRead));
    const outside = named.filter((u) => !reaching.has(u));
    if (outside.length > 0) throw new BadRequestException(`users not in this community (or disabled, or not allowed to see alarms): ${outside.join(', ')}`);
    await this.alarms.setChain(communityId, type, chain as unknown as Record<string, unknown>, user.id, new Date(this.clock.now()));
    await this.audit.record({ actorId: user.id, action: 'alarm.chain', subjectType: 'community', subjectId: communityId, detail: { type, chain } });
    return this.getChain(user, communityId, type);
  }

  // ---------------------------------------------------------------- REST: webhooks

  async listWebhooks(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    return (await this.alarms.webhooks(communityId)).map((w) => this.webhookView(w));
  }

  async addWebhook(user: AuthUser, dto: CreateWebhookRequest) {
    await this.access.requireInScope(user, dto.communityId);
    const refused = await this.webhooks.refusal(dto.url);
    if (refused) {
      this.metrics.webhookRefused.inc({ stage: 'create', reason: refused.reason });
      throw new BadRequestException(refused.message);
    }
    const row = await this.alarms.addWebhook({ communityId: dto.communityId, url: dto.url, secret: dto.secret, format: dto.format, minSeverity: dto.minSeverity, by: user.id });
    await this.audit.record({ actorId: user.id, action: 'alarm.webhook.add', subjectType: 'alarm_webhook', subjectId: row.id, detail: { url: dto.url, format: dto.format } });
    return this.webhookView(row);
  }

  async deleteWebhook(user: AuthUser, id: string) {
    const row = await this.alarms.webhook(id);
    await this.access.requireInScope(user, row?.community_id, `webhook ${id}`);
    await this.alarms.deleteWebhook(id);
    await this.audit.record({ actorId: user.id, action: 'alarm.webhook.delete', subjectType: 'alarm_webhook', subjectId: id });
    return { id, deleted: true };
  }

  private webhookView(w: { id: string; community_id: string; url: string; format: string; min_severity: number; created_at: Date }) {
    return { id: w.id, communityId: w.community_id, url: w.url, format: w.format, minSeverity: w.min_severity, createdAt: w.created_at.toISOString() };
  }

  // ---------------------------------------------------------------- REST: own preferences and inbox

  async getPrefs(user: AuthUser): Promise<NotificationPrefs> {
    return (await this.alarms.prefs([user.id])).get(user.id) ?? { severities: [], types: [] };
  }

  async setPrefs(user: AuthUser, prefs: NotificationPrefs): Promise<NotificationPrefs> {
    await this.alarms.setPrefs(user.id, prefs.severities, prefs.types);
    return this.getPrefs(user);
  }

  async inbox(user: AuthUser, unreadOnly: boolean, limit: number) {
    const rows = await this.alarms.inbox(user.id, unreadOnly, limit);
    return rows.map((r) => ({
      id: String(r.id),
      alarmId: r.alarm_id,
      kind: r.kind,
      tier: r.tier,
      createdAt: r.created_at.toISOString(),
      readAt: r.read_at?.toISOString() ?? null,
      alarm: { type: r.type, severity: r.severity, deviceId: r.device_id, communityId: r.community_id, state: r.state, acknowledged: r.acknowledged },
    }));
  }

  async markRead(user: AuthUser, ids: string[] | 'all') {
    const updated = await this.alarms.markRead(user.id, ids, new Date(this.clock.now()));
    return { updated };
  }
}
