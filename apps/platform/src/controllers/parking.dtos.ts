import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  sessionCheckoutSchema,
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
  availableSlotSchema,
  blockedPlateSchema,
  bookingReclaimSchema,
  gateOpenedSchema,
  mySlotSchema,
  occupancyEventSchema,
  parkingBookingSchema,
  parkingSessionSchema,
  parkingSlotSchema,
  plateUnblockedSchema,
  slotWithdrawalSchema,
  vehicleRemovedSchema,
  vehicleSchema,
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
export class ParkingSlotDto extends createZodDto(parkingSlotSchema) {}
export class MySlotDto extends createZodDto(mySlotSchema) {}
export class AvailableSlotDto extends createZodDto(availableSlotSchema) {}
export class SlotWithdrawalDto extends createZodDto(slotWithdrawalSchema) {}
export class ParkingBookingDto extends createZodDto(parkingBookingSchema) {}
export class BookingReclaimDto extends createZodDto(bookingReclaimSchema) {}
export class BlockedPlateDto extends createZodDto(blockedPlateSchema) {}
export class PlateUnblockedDto extends createZodDto(plateUnblockedSchema) {}
export class VehicleDto extends createZodDto(vehicleSchema) {}
export class VehicleRemovedDto extends createZodDto(vehicleRemovedSchema) {}
export class ParkingSessionDto extends createZodDto(parkingSessionSchema) {}
export class OccupancyDto extends createZodDto(occupancyEventSchema) {}
export class GateOpenedDto extends createZodDto(gateOpenedSchema) {}
export class SessionCheckoutDto extends createZodDto(sessionCheckoutSchema) {}
