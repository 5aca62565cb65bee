import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { CommunityService } from '../services/community.service';
import { TelemetryService } from '../services/telemetry.service';
import { CommunityDetailDto, CommunityDto, CreateCommunityDto, DeviceLiveDto, MyUnitDto, UnitOccupantDto, UnitOccupantParamDto, UnitOccupantResponseDto, UnitParamDto, UuidParamDto } from './dtos';

@ApiTags('communities')
@ApiBearerAuth()
@Controller('api/v1/communities')
export class CommunityController {
  constructor(
    private readonly communities: CommunityService,
    private readonly telemetry: TelemetryService,
  ) {}

  @Allow(Permission.CommunityCreate)
  @Post()
  @ZodResponse({ status: 201, type: CommunityDetailDto })
  create(@Auth() user: AuthUser, @Body() dto: CreateCommunityDto) {
    return this.communities.create(user, dto);
  }

  @Allow(Permission.CommunityRead)
  @Get()
  @ZodResponse({ status: 200, type: [CommunityDto] })
  list(@Auth() user: AuthUser) {
    return this.communities.list(user);
  }

  @Allow(Permission.CommunityRead)
  @Get(':id')
  @ZodResponse({ status: 200, type: CommunityDetailDto })
  get(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.communities.get(user, id);
  }

  @Allow(Permission.DeviceRead)
  @Get(':id/live')
  @ZodResponse({ status: 200, type: [DeviceLiveDto] })
  live(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.telemetry.communityLive(user, id);
  }
}

/** Owners and tenants of units (a minimal link: issue 13 builds verification and shares on it). */
@ApiTags('communities')
@ApiBearerAuth()
@Controller('api/v1')
export class UnitController {
  constructor(private readonly communities: CommunityService) {}

  /** The units the caller holds. */
  @Allow(Permission.Self)
  @Get('units/mine')
  @ZodResponse({ status: 200, type: [MyUnitDto] })
  mine(@Auth() user: AuthUser) {
    return this.communities.myUnits(user);
  }

  @Allow(Permission.UnitManage)
  @Get('units/:unitId/occupants')
  @ZodResponse({ status: 200, type: [UnitOccupantResponseDto] })
  occupants(@Auth() user: AuthUser, @Param() { unitId }: UnitParamDto) {
    return this.communities.occupants(user, unitId);
  }

  /** Links a user of the unit's community to it as owner or tenant. */
  @Allow(Permission.UnitManage)
  @Post('units/:unitId/occupants')
  @ZodResponse({ status: 201, type: [UnitOccupantResponseDto] })
  link(@Auth() user: AuthUser, @Param() { unitId }: UnitParamDto, @Body() dto: UnitOccupantDto) {
    return this.communities.linkOccupant(user, unitId, dto.userId, dto.relation);
  }

  @Allow(Permission.UnitManage)
  @Delete('units/:unitId/occupants/:userId')
  @ZodResponse({ status: 200, type: [UnitOccupantResponseDto] })
  unlink(@Auth() user: AuthUser, @Param() { unitId, userId }: UnitOccupantParamDto) {
    return this.communities.unlinkOccupant(user, unitId, userId);
  }
}
