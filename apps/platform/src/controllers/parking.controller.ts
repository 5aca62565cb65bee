import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { ParkingBookingService } from '../services/parking-booking.service';
import { ParkingGateService } from '../services/parking-gate.service';
import { ParkingVehicleService } from '../services/parking-vehicle.service';
import {
  AvailabilityQueryDto,
  AvailableSlotDto,
  BlockedPlateDto,
  BookingReclaimDto,
  CommunityQueryDto,
  CreateBookingDto,
  CreateSlotDto,
  GateOpenedDto,
  GateParamDto,
  ManualOpenDto,
  MySlotDto,
  OccupancyDto,
  ParkingBookingDto,
  ParkingIdParamDto,
  ParkingSessionDto,
  ParkingSlotDto,
  SessionCheckoutDto,
  PlateUnblockedDto,
  RegisterVehicleDto,
  ShareWindowsDto,
  SlotWithdrawalDto,
  UnblockPlateDto,
  UpdateSlotDto,
  VehicleDto,
  VehicleListQueryDto,
  VehicleRemovedDto,
  WithdrawDto,
} from './parking.dtos';

@ApiTags('parking')
@ApiBearerAuth()
@Controller('api/v1/parking')
export class ParkingController {
  constructor(
    private readonly bookings: ParkingBookingService,
    private readonly gate: ParkingGateService,
    private readonly vehicles: ParkingVehicleService,
  ) {}

  @Allow(Permission.ParkingSlotManage)
  @Post('slots')
  @ZodResponse({ status: 201, type: ParkingSlotDto })
  createSlot(@Auth() user: AuthUser, @Body() dto: CreateSlotDto) {
    return this.bookings.createSlot(user, dto);
  }

  @Allow(Permission.ParkingUse)
  @Get('slots')
  @ZodResponse({ status: 200, type: [ParkingSlotDto] })
  listSlots(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.bookings.listSlots(user, communityId);
  }

  @Allow(Permission.ParkingUse)
  @Get('slots/mine')
  @ZodResponse({ status: 200, type: [MySlotDto] })
  mySlots(@Auth() user: AuthUser) {
    return this.bookings.mySlots(user);
  }

  @Allow(Permission.ParkingSlotManage)
  @Patch('slots/:id')
  @ZodResponse({ status: 200, type: ParkingSlotDto })
  updateSlot(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto, @Body() dto: UpdateSlotDto) {
    return this.bookings.updateSlot(user, id, dto);
  }

  @Allow(Permission.ParkingUse)
  @Post('slots/:id/windows')
  @ZodResponse({ status: 200, type: ParkingSlotDto })
  setWindows(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto, @Body() dto: ShareWindowsDto) {
    return this.bookings.setWindows(user, id, dto);
  }

  @Allow(Permission.ParkingUse)
  @Post('slots/:id/withdraw')
  @ZodResponse({ status: 200, type: SlotWithdrawalDto })
  withdraw(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto, @Body() dto: WithdrawDto) {
    return this.bookings.withdraw(user, id, dto.from);
  }

  @Allow(Permission.ParkingUse)
  @Get('availability')
  @ZodResponse({ status: 200, type: [AvailableSlotDto] })
  search(@Auth() user: AuthUser, @Query() q: AvailabilityQueryDto) {
    return this.bookings.search(user, q.communityId, q.from, q.to);
  }

  @Allow(Permission.ParkingUse)
  @Post('bookings')
  @ZodResponse({ status: 201, type: ParkingBookingDto })
  book(@Auth() user: AuthUser, @Body() dto: CreateBookingDto) {
    return this.bookings.book(user, dto);
  }

  @Allow(Permission.ParkingUse)
  @Get('bookings/mine')
  @ZodResponse({ status: 200, type: [ParkingBookingDto] })
  myBookings(@Auth() user: AuthUser) {
    return this.bookings.myBookings(user);
  }

  @Allow(Permission.ParkingUse)
  @Post('bookings/:id/cancel')
  @ZodResponse({ status: 200, type: ParkingBookingDto })
  cancel(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.bookings.cancel(user, id);
  }

  /** The slot's owner (staff for a common slot) needs the slot back: the guest is told at once if overstaying, else at end + grace. */
  @Allow(Permission.ParkingUse)
  @Post('bookings/:id/reclaim')
  @ZodResponse({ status: 200, type: BookingReclaimDto })
  reclaim(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.bookings.reclaim(user, id);
  }

  @Allow(Permission.ParkingPlateManage)
  @Get('blocked-plates')
  @ZodResponse({ status: 200, type: [BlockedPlateDto] })
  blockedPlates(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.vehicles.blockedPlates(user, communityId);
  }

  @Allow(Permission.ParkingPlateManage)
  @Post('blocked-plates/unblock')
  @ZodResponse({ status: 200, type: PlateUnblockedDto })
  unblock(@Auth() user: AuthUser, @Body() dto: UnblockPlateDto) {
    return this.vehicles.unblock(user, dto);
  }

  @Allow(Permission.ParkingUse)
  @Post('vehicles')
  @ZodResponse({ status: 201, type: VehicleDto })
  registerVehicle(@Auth() user: AuthUser, @Body() dto: RegisterVehicleDto) {
    return this.vehicles.register(user, dto);
  }

  /** A community's resident plates (`status=pending`: those waiting for approval). */
  @Allow(Permission.ParkingPlateManage)
  @Get('vehicles')
  @ZodResponse({ status: 200, type: [VehicleDto] })
  listVehicles(@Auth() user: AuthUser, @Query() query: VehicleListQueryDto) {
    return this.vehicles.list(user, query.communityId, query.status);
  }

  @Allow(Permission.ParkingUse)
  @Get('vehicles/mine')
  @ZodResponse({ status: 200, type: [VehicleDto] })
  myVehicles(@Auth() user: AuthUser) {
    return this.vehicles.mine(user);
  }

  /** Staff approve a plate beyond its unit's quota: it passes the gate from now on. */
  @Allow(Permission.ParkingPlateManage)
  @Post('vehicles/:id/approve')
  @ZodResponse({ status: 200, type: VehicleDto })
  approveVehicle(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.vehicles.approve(user, id);
  }

  /** The plate's owner, or staff, remove it (for a pending plate: refuse it). */
  @Allow(Permission.ParkingUse)
  @Delete('vehicles/:id')
  @ZodResponse({ status: 200, type: VehicleRemovedDto })
  removeVehicle(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.vehicles.remove(user, id);
  }

  @Allow(Permission.ParkingSessionRead)
  @Get('sessions')
  @ZodResponse({ status: 200, type: [ParkingSessionDto] })
  sessions(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.vehicles.sessions(user, communityId);
  }

  @Allow(Permission.ParkingUse)
  @Get('occupancy')
  @ZodResponse({ status: 200, type: OccupancyDto })
  occupancy(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.gate.occupancyFor(user, communityId);
  }

  /** Pay before driving to the exit: staff at the booth, or the guest of the booked stay (visitors too). */
  @Allow(Permission.ParkingUse, Permission.VisitorParking)
  @Post('sessions/:id/checkout')
  @ZodResponse({ status: 200, type: SessionCheckoutDto })
  checkout(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.gate.checkoutStay(user, id);
  }

  /** The guest pays before driving out, by their booking (the stay its car entered on). */
  @Allow(Permission.ParkingUse, Permission.VisitorParking)
  @Post('bookings/:id/checkout')
  @ZodResponse({ status: 200, type: SessionCheckoutDto })
  checkoutBooking(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.gate.checkoutBooking(user, id);
  }

  @Allow(Permission.GateOperate)
  @Post('gates/:deviceId/open')
  @ZodResponse({ status: 200, type: GateOpenedDto })
  open(@Auth() user: AuthUser, @Param() { deviceId }: GateParamDto, @Body() dto: ManualOpenDto) {
    return this.gate.manualOpen(user, deviceId, dto);
  }
}
