import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  createCommunityRequestSchema,
  createDeviceRequestSchema,
  createUserRequestSchema,
  deviceIdSchema,
  deviceImportQuerySchema,
  loginRequestSchema,
  telemetryQuerySchema,
} from '@app/contracts';

export class LoginDto extends createZodDto(loginRequestSchema) {}
export class CreateUserDto extends createZodDto(createUserRequestSchema) {}
export class CreateCommunityDto extends createZodDto(createCommunityRequestSchema) {}
export class CreateDeviceDto extends createZodDto(createDeviceRequestSchema) {}
export class TelemetryQueryDto extends createZodDto(telemetryQuerySchema) {}
export class UuidParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class DeviceIdParamDto extends createZodDto(z.object({ id: deviceIdSchema })) {}
export class CommunityFilterDto extends createZodDto(z.object({ communityId: z.uuid().optional() })) {}
export class DeadLetterQueryDto extends createZodDto(z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) })) {}
export class DeviceImportQueryDto extends createZodDto(deviceImportQuerySchema) {}
