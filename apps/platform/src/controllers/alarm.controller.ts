import { Body, Controller, Delete, Get, Param, Post, Put, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { maxEvidenceBytes } from '../domain/fund-evidence';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import { AlarmSettingsService } from '../services/alarm-settings.service';
import { AlarmService } from '../services/alarm.service';
import type { AuthUser } from '../services/auth-user';
import type { UploadedFileLike } from '../services/uploads';
import {
  AlarmAckDto,
  AlarmClearDto,
  AlarmPeopleDto,
  AlarmDetailDto,
  AlarmDto,
  AlarmSettingsResponseDto,
  EscalationChainResponseDto,
  InboxItemDto,
  InboxReadDto,
  NotificationPrefsResponseDto,
  WebhookDeletedDto,
  WebhookDto,
  AlarmAssignDto,
  AlarmCommentDto,
  AlarmPhotoCommentDto,
  AlarmPhotoParamDto,
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
  @ZodResponse({ status: 200, type: [AlarmDto] })
  list(@Auth() user: AuthUser, @Query() query: AlarmListQueryDto) {
    return this.alarms.list(user, query);
  }

  @Allow(Permission.AlarmRead)
  @Get('alarms/:id')
  @ZodResponse({ status: 200, type: AlarmDetailDto })
  get(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.alarms.get(user, id);
  }

  @Allow(Permission.AlarmRead)
  @Get('alarms/:id/people')
  @ZodResponse({ status: 200, type: AlarmPeopleDto })
  people(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.alarms.people(user, id);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/acknowledge')
  @ZodResponse({ status: 200, type: AlarmDto })
  acknowledge(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmAckDto) {
    return this.alarms.acknowledge(user, id, dto.comment);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/assign')
  @ZodResponse({ status: 200, type: AlarmDto })
  assign(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmAssignDto) {
    return this.alarms.assign(user, id, dto.userId);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/comments')
  @ZodResponse({ status: 201, type: AlarmDetailDto })
  comment(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmCommentDto) {
    return this.alarms.comment(user, id, dto.text);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/photos')
  @ZodResponse({ status: 201, type: AlarmDetailDto })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' }, text: { type: 'string', maxLength: 2000 } } } })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 } }))
  commentWithPhoto(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmPhotoCommentDto, @UploadedFile() file: UploadedFileLike | undefined) {
    return this.alarms.commentWithPhoto(user, id, dto.text, file);
  }

  @Allow(Permission.AlarmRead)
  @Get('alarms/:id/photos/:photoId/file')
  @ApiOkResponse({ description: 'the stored photo, with its content type', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/octet-stream')
  async photo(@Auth() user: AuthUser, @Param() { id, photoId }: AlarmPhotoParamDto, @Res() res: Response) {
    const file = await this.alarms.readPhoto(user, id, photoId);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`).send(file.content);
  }


  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/clear')
  @ZodResponse({ status: 200, type: AlarmDto })
  clear(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto, @Body() dto: AlarmClearDto) {
    return this.alarms.clear(user, id, dto.comment, dto.cause);
  }

  @Allow(Permission.AlarmHandle)
  @Post('alarms/:id/arrived')
  @ZodResponse({ status: 200, type: AlarmDto })
  arrived(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.alarms.arrived(user, id);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-settings/communities/:communityId')
  @ZodResponse({ status: 200, type: AlarmSettingsResponseDto })
  communitySettings(@Auth() user: AuthUser, @Param() { communityId }: CommunitySettingsParamDto) {
    return this.settings.getSettings(user, 'community', communityId);
  }

  @Allow(Permission.AlarmConfigure)
  @Put('alarm-settings/communities/:communityId')
  @ZodResponse({ status: 200, type: AlarmSettingsResponseDto })
  setCommunitySettings(@Auth() user: AuthUser, @Param() { communityId }: CommunitySettingsParamDto, @Body() dto: AlarmRuleOverridesDto) {
    return this.settings.setSettings(user, 'community', communityId, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-settings/devices/:deviceId')
  @ZodResponse({ status: 200, type: AlarmSettingsResponseDto })
  deviceSettings(@Auth() user: AuthUser, @Param() { deviceId }: DeviceSettingsParamDto) {
    return this.settings.getSettings(user, 'device', deviceId);
  }

  @Allow(Permission.AlarmConfigure)
  @Put('alarm-settings/devices/:deviceId')
  @ZodResponse({ status: 200, type: AlarmSettingsResponseDto })
  setDeviceSettings(@Auth() user: AuthUser, @Param() { deviceId }: DeviceSettingsParamDto, @Body() dto: AlarmRuleOverridesDto) {
    return this.settings.setSettings(user, 'device', deviceId, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-escalation/:communityId/:type')
  @ZodResponse({ status: 200, type: EscalationChainResponseDto })
  chain(@Auth() user: AuthUser, @Param() { communityId, type }: ChainParamDto) {
    return this.settings.getChain(user, communityId, type);
  }

  @Allow(Permission.AlarmConfigure)
  @Put('alarm-escalation/:communityId/:type')
  @ZodResponse({ status: 200, type: EscalationChainResponseDto })
  setChain(@Auth() user: AuthUser, @Param() { communityId, type }: ChainParamDto, @Body() dto: EscalationChainDto) {
    return this.settings.setChain(user, communityId, type, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Get('alarm-webhooks')
  @ZodResponse({ status: 200, type: [WebhookDto] })
  webhooks(@Auth() user: AuthUser, @Query() { communityId }: WebhookListQueryDto) {
    return this.settings.listWebhooks(user, communityId);
  }

  @Allow(Permission.AlarmConfigure)
  @Post('alarm-webhooks')
  @ZodResponse({ status: 201, type: WebhookDto })
  addWebhook(@Auth() user: AuthUser, @Body() dto: CreateWebhookDto) {
    return this.settings.addWebhook(user, dto);
  }

  @Allow(Permission.AlarmConfigure)
  @Delete('alarm-webhooks/:id')
  @ZodResponse({ status: 200, type: WebhookDeletedDto })
  deleteWebhook(@Auth() user: AuthUser, @Param() { id }: AlarmIdParamDto) {
    return this.settings.deleteWebhook(user, id);
  }

  @Allow(Permission.Self)
  @Get('alarm-inbox')
  @ZodResponse({ status: 200, type: [InboxItemDto] })
  inbox(@Auth() user: AuthUser, @Query() { unread, limit }: InboxQueryDto) {
    return this.settings.inbox(user, unread ?? false, limit);
  }

  @Allow(Permission.Self)
  @Post('alarm-inbox/read-all')
  @ZodResponse({ status: 200, type: InboxReadDto })
  readAll(@Auth() user: AuthUser) {
    return this.settings.markRead(user, 'all');
  }

  @Allow(Permission.Self)
  @Post('alarm-inbox/:id/read')
  @ZodResponse({ status: 200, type: InboxReadDto })
  read(@Auth() user: AuthUser, @Param() { id }: InboxIdParamDto) {
    return this.settings.markRead(user, [id]);
  }

  @Allow(Permission.Self)
  @Get('alarm-preferences')
  @ZodResponse({ status: 200, type: NotificationPrefsResponseDto })
  prefs(@Auth() user: AuthUser) {
    return this.settings.getPrefs(user);
  }

  @Allow(Permission.Self)
  @Put('alarm-preferences')
  @ZodResponse({ status: 200, type: NotificationPrefsResponseDto })
  setPrefs(@Auth() user: AuthUser, @Body() dto: NotificationPrefsDto) {
    return this.settings.setPrefs(user, dto);
  }
}
