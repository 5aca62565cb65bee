import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { CommunityService } from '../services/community.service';
import { TelemetryService } from '../services/telemetry.service';
import { CreateCommunityDto, UuidParamDto } from './dtos';

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
  create(@Auth() user: AuthUser, @Body() dto: CreateCommunityDto) {
    return this.communities.create(user, dto);
  }

  @Allow(Permission.CommunityRead)
  @Get()
  list(@Auth() user: AuthUser) {
    return this.communities.list(user);
  }

  @Allow(Permission.CommunityRead)
  @Get(':id')
  get(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.communities.get(user, id);
  }

  @Allow(Permission.DeviceRead)
  @Get(':id/live')
  live(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.telemetry.communityLive(user, id);
  }
}
