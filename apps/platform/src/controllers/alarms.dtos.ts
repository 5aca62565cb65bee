import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  alarmDetailResponseSchema,
  alarmResponseSchema,
  alarmSettingsResponseSchema,
  escalationChainResponseSchema,
  inboxItemSchema,
  inboxReadSchema,
  webhookDeletedSchema,
  webhookResponseSchema,
  alarmAckRequestSchema,
  alarmClearRequestSchema,
  alarmPeopleResponseSchema,
  alarmAssignRequestSchema,
  alarmCommentRequestSchema,
  alarmPhotoCommentRequestSchema,
  alarmListQuerySchema,
  alarmRuleOverridesSchema,
  createWebhookRequestSchema,
  deviceIdSchema,
  escalationChainSchema,
  notificationPrefsSchema,
} from '@app/contracts';

export class AlarmListQueryDto extends createZodDto(alarmListQuerySchema) {}
export class AlarmAckDto extends createZodDto(alarmAckRequestSchema) {}
export class AlarmClearDto extends createZodDto(alarmClearRequestSchema) {}
export class AlarmPeopleDto extends createZodDto(alarmPeopleResponseSchema) {}
export class AlarmAssignDto extends createZodDto(alarmAssignRequestSchema) {}
export class AlarmCommentDto extends createZodDto(alarmCommentRequestSchema) {}
export class AlarmPhotoCommentDto extends createZodDto(alarmPhotoCommentRequestSchema) {}
export class AlarmPhotoParamDto extends createZodDto(z.object({ id: z.uuid(), photoId: z.uuid() })) {}
export class AlarmRuleOverridesDto extends createZodDto(alarmRuleOverridesSchema) {}
export class EscalationChainDto extends createZodDto(escalationChainSchema) {}
export class NotificationPrefsDto extends createZodDto(notificationPrefsSchema) {}
export class CreateWebhookDto extends createZodDto(createWebhookRequestSchema) {}
export class AlarmIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class CommunitySettingsParamDto extends createZodDto(z.object({ communityId: z.uuid() })) {}
export class DeviceSettingsParamDto extends createZodDto(z.object({ deviceId: deviceIdSchema })) {}
export class ChainParamDto extends createZodDto(z.object({ communityId: z.uuid(), type: z.string().regex(/^[a-z_]{1,64}$/) })) {}
export class WebhookListQueryDto extends createZodDto(z.object({ communityId: z.uuid() })) {}
export class InboxQueryDto extends createZodDto(
  z.object({ unread: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
) {}
export class InboxIdParamDto extends createZodDto(z.object({ id: z.string().regex(/^\d{1,18}$/) })) {}
export class AlarmDto extends createZodDto(alarmResponseSchema) {}
export class AlarmDetailDto extends createZodDto(alarmDetailResponseSchema) {}
export class AlarmSettingsResponseDto extends createZodDto(alarmSettingsResponseSchema) {}
export class EscalationChainResponseDto extends createZodDto(escalationChainResponseSchema) {}
export class WebhookDto extends createZodDto(webhookResponseSchema) {}
export class WebhookDeletedDto extends createZodDto(webhookDeletedSchema) {}
export class InboxItemDto extends createZodDto(inboxItemSchema) {}
export class InboxReadDto extends createZodDto(inboxReadSchema) {}
export class NotificationPrefsResponseDto extends createZodDto(notificationPrefsSchema) {}
