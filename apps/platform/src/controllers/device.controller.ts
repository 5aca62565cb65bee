import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { DeviceService } from '../services/device.service';
import { TelemetryService } from '../services/telemetry.service';
import { CommunityFilterDto, CreateDeviceDto, DeadLetterQueryDto, DeviceIdParamDto, TelemetryQueryDto } from './dtos';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1')
export class DeviceController {
  constructor(
    private readonly devices: DeviceService,
    private readonly telemetry: TelemetryService,
  ) {}

  @Allow(Permission.DeviceManage)
  @Post('devices')
  provision(@Auth() user: AuthUser, @Body() dto: CreateDeviceDto) {
    return this.devices.provision(user, dto);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices')
  list(@Auth() user: AuthUser, @Query() { communityId }: CommunityFilterDto) {
    return this.devices.list(user, communityId);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices/:id')
  get(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.get(user, id);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices/:id/rotate-secret')
  @HttpCode(200)
  rotate(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.rotateSecret(user, id);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices/:id/disable')
  @HttpCode(200)
  disable(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.setDisabled(user, id, true);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices/:id/enable')
  @HttpCode(200)
  enable(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.setDisabled(user, id, false);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices/:id/live')
  live(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.telemetry.deviceLive(user, id);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices/:id/telemetry')
  history(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto, @Query() query: TelemetryQueryDto) {
    return this.telemetry.history(user, id, query);
  }

  @Allow(Permission.DeadLetterRead)
  @Get('dead-letters')
  deadLetters(@Auth() user: AuthUser, @Query() { limit }: DeadLetterQueryDto) {
    return this.telemetry.deadLetters(user, limit);
  }
}
