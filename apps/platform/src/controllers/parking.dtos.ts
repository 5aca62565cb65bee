import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  availabilityQuerySchema,
  createBookingRequestSchema,
  createSlotRequestSchema,
  manualOpenRequestSchema,
  registerVehicleRequestSchema,
  vehicleListQuerySchema,
  shareWindowsRequestSchema,
  updateSlotRequestSchema,
  withdrawRequestSchema,
  unblockPlateRequestSchema,
  deviceIdSchema,
} from '@app/contracts';

export class CreateSlotDto extends createZodDto(createSlotRequestSchema) {}
export class UpdateSlotDto extends createZodDto(updateSlotRequestSchema) {}
export class ShareWindowsDto extends createZodDto(shareWindowsRequestSchema) {}
export class WithdrawDto extends createZodDto(withdrawRequestSchema) {}
export class AvailabilityQueryDto extends createZodDto(availabilityQuerySchema) {}
export class CreateBookingDto extends createZodDto(createBookingRequestSchema) {}
export class RegisterVehicleDto extends createZodDto(registerVehicleRequestSchema) {}
export class VehicleListQueryDto extends createZodDto(vehicleListQuerySchema) {}
export class UnblockPlateDto extends createZodDto(unblockPlateRequestSchema) {}
export class ManualOpenDto extends createZodDto(manualOpenRequestSchema) {}
export class CommunityQueryDto extends createZodDto(z.object({ communityId: z.uuid() })) {}
export class GateParamDto extends createZodDto(z.object({ deviceId: deviceIdSchema })) {}
export class ParkingIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
