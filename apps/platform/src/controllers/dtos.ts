import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  authUserSchema,
  changePasswordRequestSchema,
  communityDetailResponseSchema,
  communityResponseSchema,
  deadLetterSchema,
  deviceImportResultSchema,
  deviceLiveResponseSchema,
  myUnitResponseSchema,
  passwordSetResponseSchema,
  telemetryHistoryResponseSchema,
  unitOccupantResponseSchema,
  userResponseSchema,
  createCommunityRequestSchema,
  createDeviceRequestSchema,
  createUserRequestSchema,
  deviceIdSchema,
  deviceImportQuerySchema,
  deviceCredentialsResponseSchema,
  deviceResponseSchema,
  loginRequestSchema,
  loginResponseSchema,
  refreshRequestSchema,
  setPasswordRequestSchema,
  telemetryQuerySchema,
  unitOccupantRequestSchema,
  updateUserRequestSchema,
} from '@app/contracts';

export class LoginDto extends createZodDto(loginRequestSchema) {}
// Responses: their schemas documented in OpenAPI (@ZodResponse); no serializer interceptor is
// installed, so a response is sent as the service returns it.
export class TokenPairDto extends createZodDto(loginResponseSchema) {}
export class DeviceDto extends createZodDto(deviceResponseSchema) {}
export class DeviceCredentialsDto extends createZodDto(deviceCredentialsResponseSchema) {}
export class DeviceImportResultDto extends createZodDto(deviceImportResultSchema) {}
export class DeviceLiveDto extends createZodDto(deviceLiveResponseSchema) {}
export class TelemetryHistoryDto extends createZodDto(telemetryHistoryResponseSchema) {}
export class DeadLetterDto extends createZodDto(deadLetterSchema) {}
export class AuthUserDto extends createZodDto(authUserSchema) {}
export class UserDto extends createZodDto(userResponseSchema) {}
export class PasswordSetDto extends createZodDto(passwordSetResponseSchema) {}
export class CommunityDto extends createZodDto(communityResponseSchema) {}
export class CommunityDetailDto extends createZodDto(communityDetailResponseSchema) {}
export class MyUnitDto extends createZodDto(myUnitResponseSchema) {}
export class UnitOccupantResponseDto extends createZodDto(unitOccupantResponseSchema) {}
export class CreateUserDto extends createZodDto(createUserRequestSchema) {}
export class RefreshDto extends createZodDto(refreshRequestSchema) {}
export class ChangePasswordDto extends createZodDto(changePasswordRequestSchema) {}
export class SetPasswordDto extends createZodDto(setPasswordRequestSchema) {}
export class UpdateUserDto extends createZodDto(updateUserRequestSchema) {}
export class UnitOccupantDto extends createZodDto(unitOccupantRequestSchema) {}
export class UnitOccupantParamDto extends createZodDto(z.object({ unitId: z.uuid(), userId: z.uuid() })) {}
export class UnitParamDto extends createZodDto(z.object({ unitId: z.uuid() })) {}
export class CreateCommunityDto extends createZodDto(createCommunityRequestSchema) {}
export class CreateDeviceDto extends createZodDto(createDeviceRequestSchema) {}
export class TelemetryQueryDto extends createZodDto(telemetryQuerySchema) {}
export class UuidParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class DeviceIdParamDto extends createZodDto(z.object({ id: deviceIdSchema })) {}
export class CommunityFilterDto extends createZodDto(z.object({ communityId: z.uuid().optional() })) {}
export class DeadLetterQueryDto extends createZodDto(z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) })) {}
export class DeviceImportQueryDto extends createZodDto(deviceImportQuerySchema) {}
