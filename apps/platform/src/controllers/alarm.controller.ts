import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import { AlarmSettingsService } from '../services/alarm-settings.service';
import { AlarmService } from '../services/alarm.service';
import type { AuthUser } from '../services/auth-user';
import {
  AlarmAckDto,
  AlarmAssignDto,
  AlarmCommentDto,
  AlarmIdParamDto,
  AlarmListQueryDto,
  AlarmRuleOverridesDto,
  ChainParamDto,
  CommunitySettingsParamDto,
  CreateWebhookDto,
  DeviceSettingsParamDto,
  EscalationChainDto,
  InboxIdParamDto,
  InboxQueryDto,
  NotificationPrefsDto,
  WebhookListQueryDto,
} from './alarms.dtos';

@ApiTags('alarms')
@ApiBearerAuth()
@Controller('api/v1')
export class AlarmController {
  constructor(
    private readonly alarms: AlarmService,
    private readonly settings: AlarmSettingsService,
  ) {}

  @Allow(Permission.AlarmRead)
  @Get('alarms')
  list(@Auth() user: AuthUser, @Query() query: AlarmListQueryDto) {
    return this.alarms.list(user, query);
  }

  @Allow(Permission.AlarmRead)
  @Get('alarms/:id')
  get(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.alarms.get(user, id);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/acknowledge')
  @HttpCode(200)
  acknowledge(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmAckDto) {
    return this.alarms.acknowledge(user, id, dto.comment);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/assign')
  @HttpCode(200)
  assign(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmAssignDto) {
    return this.alarms.assign(user, id, dto.userId);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/comments')
  comment(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmCommentDto) {
    return this.alarms.comment(user, id, dto.text);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/clear')
  @HttpCode(200)
  clear(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmAckDto) {
    return this.alarms.clear(user, id, dto.comment);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/arrived')
  @HttpCode(200)
  arrived(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.alarms.arrived(user, id);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-settings/communities/:communityId')
  communitySettings(@Auth() user: AuthUser, @Param() { communityId }: CommunitySettingsParamDto) {
    return this.settings.getSettings(user, 'community', communityId);
  }

  @Allow(Permission.AlarmConfigure)
  @Put('alarm-settings/communities/:communityId')
  setCommunitySettings(@Auth() user: AuthUser, @Param() { communityId }: CommunitySettingsParamDto, @Body() dto: AlarmRuleOverridesDto) {
    return this.settings.setSettings(user, 'community', communityId, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-settings/devices/:deviceId')
  deviceSettings(@Auth() user: AuthUser, @Param() { deviceId }: DeviceSettingsParamDto) {
    return this.settings.getSettings(user, 'device', deviceId);
  }

  @Allow(Permission.AlarmConfigure)
  @Put('alarm-settings/devices/:deviceId')
  setDeviceSettings(@Auth() user: AuthUser, @Param() { deviceId }: DeviceSettingsParamDto, @Body() dto: AlarmRuleOverridesDto) {
    return this.settings.setSettings(user, 'device', deviceId, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-escalation/:communityId/:type')
  chain(@Auth() user: AuthUser, @Param() { communityId, type }: ChainParamDto) {
    return this.settings.getChain(user, communityId, type);
  }

  @Allow(Permission.AlarmConfigure)
  @Put('alarm-escalation/:communityId/:type')
  setChain(@Auth() user: AuthUser, @Param() { communityId, type }: ChainParamDto, @Body() dto: EscalationChainDto) {
    return this.settings.setChain(user, communityId, type, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-webhooks')
  webhooks(@Auth() user: AuthUser, @Query() { communityId }: WebhookListQueryDto) {
    return this.settings.listWebhooks(user, communityId);
  }

  @Allow(Permission.AlarmConfigure)
  @Post('alarm-webhooks')
  addWebhook(@Auth() user: AuthUser, @Body() dto: CreateWebhookDto) {
    return this.settings.addWebhook(user, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Delete('alarm-webhooks/:id')
  deleteWebhook(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.settings.deleteWebhook(user, id);
  }

  @Allow(Permission.Self)
  @Get('alarm-inbox')
  inbox(@Auth() user: AuthUser, @Query() { unread, limit }: InboxQueryDto) {
    return this.settings.inbox(user, unread ?? false, limit);
  }

  @Allow(Permission.Self)
  @Post('alarm-inbox/read-all')
  @HttpCode(200)
  readAll(@Auth() user: AuthUser) {
    return this.settings.markRead(user, 'all');
  }

  @Allow(Permission.Self)
  @Post('alarm-inbox/:id/read')
  @HttpCode(200)
  read(@Auth() user: AuthUser, @Param() { id }: InboxIdParamDto) {
    return this.settings.markRead(user, [id]);
  }

  @Allow(Permission.Self)
  @Get('alarm-preferences')
  prefs(@Auth() user: AuthUser) {
    return this.settings.getPrefs(user);
  }

  @Allow(Permission.Self)
  @Put('alarm-preferences')
  setPrefs(@Auth() user: AuthUser, @Body() dto: NotificationPrefsDto) {
    return this.settings.setPrefs(user, dto);
  }
}
