import { z } from 'zod';
import { fundCategorySchema } from './fund';

/** Complaints and repair requests (接诉即办): REST bodies. */

export const complaintCategories = ['repair_urgent', 'repair', 'environment', 'security', 'parking', 'fees', 'service', 'other'] as const;
export const complaintCategorySchema = z.enum(complaintCategories);
export type ComplaintCategory = z.infer<typeof complaintCategorySchema>;

/** Who holds an item: the property company first, then the supervising levels in order. */
export const complaintLevels = ['property', 'residents_committee', 'street', 'district'] as const;
export const complaintLevelSchema = z.enum(complaintLevels);
export type ComplaintLevel = z.infer<typeof complaintLevelSchema>;

export const complaintStates = ['open', 'resolved', 'closed'] as const;
export const complaintStateSchema = z.enum(complaintStates);
export type ComplaintState = z.infer<typeof complaintStateSchema>;

export const createComplaintRequestSchema = z.object({
  communityId: z.uuid(),
  kind: z.enum(['complaint', 'repair']),
  category: complaintCategorySchema,
  text: z.string().trim().min(1).max(4000),
  location: z.string().trim().min(1).max(200).describe('where in the estate, e.g. "3栋2单元 电梯厅"'),
  contact: z.string().trim().max(64).optional().describe('a phone number or other contact, shown only to those handling it'),
  alarmId: z.uuid().optional().describe('an alarm of the same community this is about'),
});
export type CreateComplaintRequest = z.infer<typeof createComplaintRequestSchema>;

export const complaintActionRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('respond'), note: z.string().trim().min(1).max(2000) }),
  z.object({ action: z.literal('resolve'), note: z.string().trim().min(1).max(2000) }),
  z.object({ action: z.literal('ledger'), note: z.string().trim().min(1).max(2000).describe('挂账督办: the street keeps the item on its ledger') }),
  z.object({ action: z.literal('reopen'), note: z.string().trim().min(1).max(2000) }),
  z.object({ action: z.literal('rate'), satisfaction: z.number().int().min(1).max(5), note: z.string().trim().max(2000).optional() }),
]);
export type ComplaintActionRequest = z.infer<typeof complaintActionRequestSchema>;

export const complaintListQuerySchema = z.object({
  communityId: z.uuid().optional(),
  state: complaintStateSchema.optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const complaintSummarySchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  kind: z.enum(['complaint', 'repair']),
  category: complaintCategorySchema,
  text: z.string(),
  location: z.string(),
  state: complaintStateSchema,
  level: complaintLevelSchema,
  onLedger: z.boolean(),
  deadline: z.string(),
  overdue: z.boolean(),
  filedAt: z.string(),
  respondedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  satisfaction: z.number().int().nullable(),
  alarmId: z.uuid().nullable(),
  fundCaseId: z.uuid().nullable().describe('the emergency repair (green-channel fund case) it was turned into'),
});

export const complaintAvailableActionSchema = z.enum(['respond', 'resolve', 'ledger', 'reopen', 'rate', 'link_alarm', 'fund_case']);
export type ComplaintAvailableAction = z.infer<typeof complaintAvailableActionSchema>;

export const complaintDetailSchema = complaintSummarySchema.extend({
  filedBy: z.uuid(),
  contact: z.string().nullable().describe('null unless the caller filed it or handles it'),
  photos: z.array(z.object({ id: z.uuid(), contentType: z.string(), sizeBytes: z.number().int(), createdAt: z.string() })),
  timeline: z.array(z.object({ at: z.string(), action: z.string(), actorRole: z.string(), level: complaintLevelSchema, note: z.string().nullable() })),
  availableActions: z.array(complaintAvailableActionSchema).describe('what the caller may do now: POST …/actions with one of the first five, …/alarm for link_alarm, …/fund-case for fund_case'),
});

export const complaintPhotoSchema = z.object({ id: z.uuid(), contentType: z.string(), sizeBytes: z.number().int(), sha256: z.string(), createdAt: z.string() });

/** Deadlines of a community in hours; categories or levels left out keep the platform's defaults. */
export const complaintSettingsRequestSchema = z.object({
  resolveHours: z.partialRecord(complaintCategorySchema, z.number().int().min(1).max(2160)).default({}),
  levelHours: z.partialRecord(complaintLevelSchema.exclude(['property']), z.number().int().min(1).max(2160)).default({}),
  ledgerHours: z.number().int().min(1).max(8760).optional(),
});
export type ComplaintSettingsRequest = z.infer<typeof complaintSettingsRequestSchema>;

export const complaintSettingsSchema = z.object({
  communityId: z.uuid(),
  resolveHours: z.record(complaintCategorySchema, z.number().int()),
  levelHours: z.record(complaintLevelSchema.exclude(['property']), z.number().int()),
  ledgerHours: z.number().int(),
});

export const complaintStatisticsSchema = z.object({
  communityId: z.uuid(),
  name: z.string(),
  propertyCompanyId: z.uuid().nullable().describe('the company serving the community: group rows by it for figures per company'),
  count: z.number().int(),
  open: z.number().int(),
  overdue: z.number().int(),
  reopened: z.number().int(),
  repeat: z.number().int().describe('items filed again by the same person in the same category within 30 days'),
  avgResponseMinutes: z.number().nullable(),
  avgResolutionMinutes: z.number().nullable(),
  rated: z.number().int(),
  avgSatisfaction: z.number().nullable(),
  byLevel: z.record(complaintLevelSchema, z.number().int()).describe('open items by the level holding them'),
});

export const complaintInboxItemSchema = z.object({
  id: z.string(),
  complaintId: z.uuid(),
  action: z.string(),
  level: complaintLevelSchema,
  createdAt: z.string(),
  readAt: z.string().nullable(),
});

/** POST /api/v1/complaints/:id/fund-case: turn the item into an emergency repair (维修资金应急使用, green channel). */
export const complaintFundCaseRequestSchema = z.object({
  category: fundCategorySchema.describe('the green-channel category the repair falls under'),
  title: z.string().trim().min(1).max(200).optional().describe('defaults to the complaint\'s location and text'),
  buildingId: z.uuid().optional(),
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
export type ComplaintFundCaseRequest = z.infer<typeof complaintFundCaseRequestSchema>;

/** POST /api/v1/complaints/:id/alarm: link the item to an alarm of the same community. */
export const complaintLinkAlarmRequestSchema = z.object({ alarmId: z.uuid() });
export type ComplaintLinkAlarmRequest = z.infer<typeof complaintLinkAlarmRequestSchema>;

/**
 * Socket event: an item was filed, acted on, escalated, found overdue, linked to an alarm or
 * turned into a fund case. To the holders of complaint.read-all in the item's community and to
 * the person who filed it (filedBy), as the REST read allows.
 */
export const complaintChangedEventSchema = z.object({
  complaintId: z.uuid(),
  communityId: z.uuid(),
  filedBy: z.uuid(),
  /** filed, respond, resolve, ledger, reopen, rate, escalated, overdue, alarm_linked, fund_case_opened */
  action: z.string(),
  state: complaintStateSchema,
  level: complaintLevelSchema,
  deadline: z.string(),
  overdue: z.boolean(),
  alarmId: z.uuid().nullable(),
  fundCaseId: z.uuid().nullable(),
  ts: z.number(),
});
export type ComplaintChangedEvent = z.infer<typeof complaintChangedEventSchema>;

/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
export interface ComplaintsServerEvents {
  'complaint.changed': (event: ComplaintChangedEvent) => void;
}
