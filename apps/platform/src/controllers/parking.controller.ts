import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { ParkingBookingService } from '../services/parking-booking.service';
import { ParkingGateService } from '../services/parking-gate.service';
import { ParkingVehicleService } from '../services/parking-vehicle.service';
import {
  AvailabilityQueryDto,
  CommunityQueryDto,
  CreateBookingDto,
  CreateSlotDto,
  GateParamDto,
  ManualOpenDto,
  ParkingIdParamDto,
  RegisterVehicleDto,
  ShareWindowsDto,
  UnblockPlateDto,
  UpdateSlotDto,
  VehicleListQueryDto,
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
  createSlot(@Auth() user: AuthUser, @Body() dto: CreateSlotDto) {
    return this.bookings.createSlot(user, dto);
  }

  @Allow(Permission.ParkingUse)
  @Get('slots')
  listSlots(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.bookings.listSlots(user, communityId);
  }

  @Allow(Permission.ParkingUse)
  @Get('slots/mine')
  mySlots(@Auth() user: AuthUser) {
    return this.bookings.mySlots(user);
  }

  @Allow(Permission.ParkingSlotManage)
  @Patch('slots/:id')
  updateSlot(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto, @Body() dto: UpdateSlotDto) {
    return this.bookings.updateSlot(user, id, dto);
  }

  @Allow(Permission.ParkingUse)
  @Post('slots/:id/windows')
  @HttpCode(200)
  setWindows(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto, @Body() dto: ShareWindowsDto) {
    return this.bookings.setWindows(user, id, dto);
  }

  @Allow(Permission.ParkingUse)
  @Post('slots/:id/withdraw')
  @HttpCode(200)
  withdraw(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto, @Body() dto: WithdrawDto) {
    return this.bookings.withdraw(user, id, dto.from);
  }

  @Allow(Permission.ParkingUse)
  @Get('availability')
  search(@Auth() user: AuthUser, @Query() q: AvailabilityQueryDto) {
    return this.bookings.search(user, q.communityId, q.from, q.to);
  }

  @Allow(Permission.ParkingUse)
  @Post('bookings')
  book(@Auth() user: AuthUser, @Body() dto: CreateBookingDto) {
    return this.bookings.book(user, dto);
  }

  @Allow(Permission.ParkingUse)
  @Get('bookings/mine')
  myBookings(@Auth() user: AuthUser) {
    return this.bookings.myBookings(user);
  }

  @Allow(Permission.ParkingUse)
  @Post('bookings/:id/cancel')
  @HttpCode(200)
  cancel(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.bookings.cancel(user, id);
  }

  /** The slot's owner (staff for a common slot) needs the slot back: the guest is told at once if overstaying, else at end + grace. */
  @Allow(Permission.ParkingUse)
  @Post('bookings/:id/reclaim')
  @HttpCode(200)
  reclaim(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.bookings.reclaim(user, id);
  }

  @Allow(Permission.ParkingPlateManage)
  @Get('blocked-plates')
  blockedPlates(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.vehicles.blockedPlates(user, communityId);
  }

  @Allow(Permission.ParkingPlateManage)
  @Post('blocked-plates/unblock')
  @HttpCode(200)
  unblock(@Auth() user: AuthUser, @Body() dto: UnblockPlateDto) {
    return this.vehicles.unblock(user, dto);
  }

  @Allow(Permission.ParkingUse)
  @Post('vehicles')
  registerVehicle(@Auth() user: AuthUser, @Body() dto: RegisterVehicleDto) {
    return this.vehicles.register(user, dto);
  }

  /** A community's resident plates (`status=pending`: those waiting for approval). */
  @Allow(Permission.ParkingPlateManage)
  @Get('vehicles')
  listVehicles(@Auth() user: AuthUser, @Query() query: VehicleListQueryDto) {
    return this.vehicles.list(user, query.communityId, query.status);
  }

  @Allow(Permission.ParkingUse)
  @Get('vehicles/mine')
  myVehicles(@Auth() user: AuthUser) {
    return this.vehicles.mine(user);
  }

  /** Staff approve a plate beyond its unit's quota: it passes the gate from now on. */
  @Allow(Permission.ParkingPlateManage)
  @Post('vehicles/:id/approve')
  @HttpCode(200)
  approveVehicle(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.vehicles.approve(user, id);
  }

  /** The plate's owner, or staff, remove it (for a pending plate: refuse it). */
  @Allow(Permission.ParkingUse)
  @Delete('vehicles/:id')
  removeVehicle(@Auth() user: AuthUser, @Param() { id }: ParkingIdParamDto) {
    return this.vehicles.remove(user, id);
  }

  @Allow(Permission.ParkingSessionRead)
  @Get('sessions')
  sessions(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.vehicles.sessions(user, communityId);
  }

  @Allow(Permission.ParkingUse)
  @Get('occupancy')
  occupancy(@Auth() user: AuthUser, @Query() { communityId }: CommunityQueryDto) {
    return this.gate.occupancyFor(user, communityId);
  }

  @Allow(Permission.GateOperate)
  @Post('gates/:deviceId/open')
  @HttpCode(200)
  open(@Auth() user: AuthUser, @Param() { deviceId }: GateParamDto, @Body() dto: ManualOpenDto) {
    return this.gate.manualOpen(user, deviceId, dto);
  }
}
