import { z } from 'zod';
import { deviceIdSchema } from './device';
import { roleSchema } from './rest';

/** Alarms: detection rules, lifecycle, dispatch and escalation, notifications. */

export const alarmSeveritySchema = z.number().int().min(1).max(5).describe('1 critical … 5 info');
export const alarmStateSchema = z.enum(['active', 'cleared']);
export type AlarmState = z.infer<typeof alarmStateSchema>;

/** Payload of alarm.raised / alarm.updated / alarm.cleared (contract §5). */
export const alarmEventSchema = z.object({
  alarmId: z.uuid(),
  deviceId: z.string(),
  communityId: z.uuid(),
  type: z.string(),
  severity: alarmSeveritySchema,
  state: alarmStateSchema,
  acknowledged: z.boolean(),
  count: z.number().int(),
  source: z.enum(['device', 'platform']),
  escalationTier: z.number().int(),
  assigneeId: z.uuid().nullable(),
  ts: z.number(),
});
export type AlarmEvent = z.infer<typeof alarmEventSchema>;

/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
export interface AlarmsServerEvents {
  'alarm.raised': (event: AlarmEvent) => void;
  'alarm.updated': (event: AlarmEvent) => void;
  'alarm.cleared': (event: AlarmEvent) => void;
  /** Supervision (street/district officers): a community's live counts, coalesced to ≤ 1/s per community. */
  'supervision.community': (event: SupervisionCommunityEvent) => void;
}

/** Supervision: live counts of one community (GET /api/v1/supervision/overview rows and the socket event). */
export const supervisionCountsSchema = z.object({
  alarms: z.object({
    total: z.number().int(),
    bySeverity: z.object({ '1': z.number().int(), '2': z.number().int(), '3': z.number().int(), '4': z.number().int(), '5': z.number().int() }).describe('active alarms per severity, keys "1" (critical) … "5" (info)'),
  }),
  devices: z.object({ total: z.number().int(), online: z.number().int(), offline: z.number().int() }),
  fundCases: z.object({ open: z.number().int(), nextDeadline: z.string().nullable() }).describe('open emergency repair cases and the nearest pending review/payment deadline (ISO)'),
  complaints: z.object({ open: z.number().int(), overdue: z.number().int() }).describe('open complaints and repair requests, and those past their deadline (接诉即办)'),
});
export type SupervisionCounts = z.infer<typeof supervisionCountsSchema>;
/** GET /api/v1/supervision/overview (one per community) and /communities/:id. */
export const supervisionRowSchema = supervisionCountsSchema.extend({ id: z.uuid(), name: z.string(), street: z.string(), district: z.string() });
export interface SupervisionCommunityEvent extends SupervisionCounts {
  communityId: string;
  ts: number;
}

const boolQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const alarmListQuerySchema = z.object({
  communityId: z.uuid().optional(),
  deviceId: deviceIdSchema.optional(),
  state: alarmStateSchema.optional(),
  acknowledged: boolQuery.optional(),
  type: z.string().max(64).optional(),
  severity: z.coerce.number().int().min(1).max(5).optional(),
  maxSeverity: z.coerce.number().int().min(1).max(5).optional().describe('severity ≤ this (1 = most critical)'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type AlarmListQuery = z.infer<typeof alarmListQuerySchema>;

export const alarmCommentRequestSchema = z.object({ text: z.string().min(1).max(2000) });
/** POST /api/v1/alarms/:id/photos (multipart: "file" and an optional "text"): a comment with a photo; its history entry names the photo (detail.photoId, detail.fileName). */
export const alarmPhotoCommentRequestSchema = z.object({ text: z.string().trim().max(2000).optional() });
export const alarmAckRequestSchema = z.object({ comment: z.string().max(2000).optional() });
/** Why an alarm was cleared by hand; which ones fit a type is the alarm's `clearCauses`. */
export const alarmClearCauses = ['power_cut', 'external_other', 'human', 'door_system', 'equipment_other', 'repaired', 'false_alarm', 'other'] as const;
export type AlarmClearCause = (typeof alarmClearCauses)[number];
export const alarmClearRequestSchema = alarmAckRequestSchema.extend({ cause: z.enum(alarmClearCauses).optional().describe("one of the alarm's clearCauses") });
export const alarmAssignRequestSchema = z.object({ userId: z.uuid() });

const thresholdsSchema = z
  .object({
    trappedHoldS: z.number().min(0).max(3600),
    outsideDoorZoneHoldS: z.number().min(0).max(3600),
    doorOpenMovingCount: z.number().int().min(1).max(100),
    batteryHoldS: z.number().min(0).max(3600),
    hydrantPressureMin: z.number().min(0).max(5000),
    hydrantPressureMax: z.number().min(0).max(5000),
    sprinklerPressureMin: z.number().min(0).max(5000),
    sprinklerPressureMax: z.number().min(0).max(5000),
    tankLevelMin: z.number().min(0).max(200),
    pressureHoldS: z.number().min(0).max(3600),
    tankHoldS: z.number().min(0).max(3600),
    offlineHoldS: z.number().min(0).max(86400),
    clearDelayS: z.number().min(0).max(3600),
    notifyCapPerHour: z.number().int().min(1).max(10000),
  })
  .partial()
  .strict();

/** Overrides of the detection rules for a community or a device (stored as JSON, merged over the defaults). */
export const alarmRuleOverridesSchema = z
  .object({
    thresholds: thresholdsSchema.optional(),
    rules: z
      .record(
        z.string().regex(/^[a-z_.A-Z]+$/).max(64),
        z
          .object({
            enabled: z.boolean(),
            holdS: z.number().min(0).max(86400),
            count: z.number().int().min(1).max(100),
            clearDelayS: z.number().min(0).max(86400),
            severity: z.number().int().min(1).max(5),
          })
          .partial()
          .strict(),
      )
      .optional(),
  })
  .strict();
export type AlarmRuleOverridesBody = z.infer<typeof alarmRuleOverridesSchema>;

export const escalationTierSchema = z
  .object({
    name: z.string().min(1).max(64),
    userIds: z.array(z.uuid()).max(100).optional(),
    roles: z.array(roleSchema).max(8).optional(),
    /** Only users whose scope is at this level (e.g. a street-level rescue station). */
    scopeLevel: z.enum(['community', 'street', 'district', 'platform']).optional(),
    /** Time this tier has to acknowledge before the next tier is told; 0 = last tier, no escalation. */
    ackWithinS: z.number().min(0).max(86400),
    /**
     * Told when the alarm is raised (alongside the first tier) instead of when the tier before it
     * times out; its ackWithinS then counts from the raise, and the tier after it is told when that
     * runs out unacknowledged (e.g. the maintenance company of a trapped-passenger alarm).
     */
    notifyAtStart: z.boolean().default(false),
  })
  .refine((t) => (t.userIds?.length ?? 0) + (t.roles?.length ?? 0) > 0, { message: 'a tier names users or roles' });
export type EscalationTier = z.infer<typeof escalationTierSchema>;

export const escalationChainSchema = z.object({
  tiers: z.array(escalationTierSchema).min(1).max(10),
  /** Someone must report arrival (POST /alarms/:id/arrived) within this; else an arrival_overdue alarm. */
  arrivalWithinS: z.number().min(0.1).max(86400).optional(),
  /** Reminder to the current tier until the alarm is cleared (or arrival reported). */
  reminderEveryS: z.number().min(0.1).max(86400).optional(),
});
export type EscalationChain = z.infer<typeof escalationChainSchema>;
/** A chain as written (notifyAtStart may be left out). */
export type EscalationChainInput = z.input<typeof escalationChainSchema>;

export const notificationPrefsSchema = z.object({
  severities: z.array(z.number().int().min(1).max(5)).max(5).default([]),
  types: z.array(z.string().max(64)).max(100).default([]),
});
export type NotificationPrefs = z.infer<typeof notificationPrefsSchema>;

export const webhookFormats = ['json', 'wecom', 'dingtalk'] as const;
export const createWebhookRequestSchema = z.object({
  communityId: z.uuid(),
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(16).max(256),
  /** json: our payload, HMAC-SHA256 in X-Signature-256; wecom/dingtalk: their robot text format. */
  format: z.enum(webhookFormats).default('json'),
  minSeverity: z.number().int().min(1).max(5).default(5).describe('send alarms with severity ≤ this'),
});
export type CreateWebhookRequest = z.infer<typeof createWebhookRequestSchema>;

// ---------------------------------------------------------------- responses

/** An alarm as the REST API shows it: the socket payload and its handling times. */
export const alarmResponseSchema = alarmEventSchema.extend({
  firstAt: z.string(),
  lastAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  clearedAt: z.string().nullable(),
  clearedBy: z.string().nullable(),
  arrivedAt: z.string().nullable(),
  arrivedBy: z.string().nullable(),
  responseS: z.number().int().nullable().describe('seconds from the alarm to its acknowledgement'),
  arrivalS: z.number().int().nullable().describe('seconds from the alarm to the reported arrival'),
  manualClear: z.boolean(),
  clearCauses: z.array(z.enum(alarmClearCauses)).describe('causes a person may clear this type with (trapped passengers: release causes)'),
  handOff: z.array(z.string()).describe('emergency lines the type is handed to when the duty cannot resolve it (96333, 119)'),
  detail: z.unknown(),
});
/** GET /api/v1/alarms/:id (and a comment's answer): with its history. */
export const alarmDetailResponseSchema = alarmResponseSchema.extend({
  history: z.array(z.object({ at: z.string(), actorId: z.string().nullable(), action: z.string(), detail: z.unknown() })),
});

/** The overrides stored for a community or device, the merged effect, and the rules they tune. */
export const alarmSettingsResponseSchema = z.object({
  scope: z.enum(['community', 'device']),
  id: z.string(),
  overrides: alarmRuleOverridesSchema,
  effective: z.object({ thresholds: z.record(z.string(), z.number()), rules: alarmRuleOverridesSchema.shape.rules.unwrap() }),
  rules: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      severity: z.number().int(),
      kinds: z.array(z.string()).readonly(),
      subtypes: z.array(z.string()).readonly().nullable(),
      source: z.string(),
      inferred: z.boolean(),
      neverDebounce: z.boolean(),
    }),
  ),
});
export const escalationChainResponseSchema = z.object({ communityId: z.uuid(), type: z.string(), custom: z.boolean().describe('false: the default chain'), chain: escalationChainSchema });
export const webhookResponseSchema = z.object({ id: z.string(), communityId: z.uuid(), url: z.string(), format: z.string().describe(`one of ${webhookFormats.join(', ')}`), minSeverity: z.number().int(), createdAt: z.string() });
export const webhookDeletedSchema = z.object({ id: z.string(), deleted: z.boolean() });
export const inboxItemSchema = z.object({
  id: z.string(),
  alarmId: z.string(),
  kind: z.string(),
  tier: z.number().int().nullable(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
  alarm: z.object({ type: z.string(), severity: z.number().int(), deviceId: z.string(), communityId: z.string(), state: z.string(), acknowledged: z.boolean() }),
});
/** GET /api/v1/alarms/:id/people: who has been told, and whom the caller may assign it to. */
export const alarmPeopleResponseSchema = z.object({
  told: z.array(z.object({ userId: z.string(), displayName: z.string(), tier: z.number().int().nullable(), tierName: z.string().nullable(), kind: z.string(), at: z.string() })),
  assignable: z.array(z.object({ userId: z.string(), displayName: z.string(), role: roleSchema })).describe("enabled users of the caller's role whose scope covers the alarm's community and who may handle alarms; empty without alarm.handle"),
});
export const inboxReadSchema = z.object({ updated: z.number().int() });
