import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../middleware/auth.guard';
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

  @Post('devices')
  provision(@Auth() user: AuthUser, @Body() dto: CreateDeviceDto) {
    return this.devices.provision(user, dto);
  }

  @Get('devices')
  list(@Auth() user: AuthUser, @Query() { communityId }: CommunityFilterDto) {
    return this.devices.list(user, communityId);
  }

  @Get('devices/:id')
  get(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.get(user, id);
  }

  @Post('devices/:id/rotate-secret')
  @HttpCode(200)
  rotate(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.rotateSecret(user, id);
  }

  @Post('devices/:id/disable')
  @HttpCode(200)
  disable(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.setDisabled(user, id, true);
  }

  @Post('devices/:id/enable')
  @HttpCode(200)
  enable(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.setDisabled(user, id, false);
  }

  @Get('devices/:id/live')
  live(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.telemetry.deviceLive(user, id);
  }

  @Get('devices/:id/telemetry')
  history(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto, @Query() query: TelemetryQueryDto) {
    return this.telemetry.history(user, id, query);
  }

  @Get('dead-letters')
  deadLetters(@Auth() user: AuthUser, @Query() { limit }: DeadLetterQueryDto) {
    return this.telemetry.deadLetters(user, limit);
  }
}
