import { Body, Controller, Get, Param, Post, Put, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { Response } from 'express';
import type { ComplaintActionRequest } from '@app/contracts';
import { maxEvidenceBytes } from '../domain/fund-evidence';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { ComplaintService } from '../services/complaint.service';
import {
  ComplaintActionDto,
  ComplaintDetailDto,
  ComplaintFundCaseDto,
  ComplaintFundCaseResponseDto,
  ComplaintLinkAlarmDto,
  ComplaintInboxItemDto,
  ComplaintInboxQueryDto,
  ComplaintListQueryDto,
  ComplaintPhotoDto,
  ComplaintSettingsDto,
  ComplaintSettingsResponseDto,
  ComplaintStatisticsDto,
  ComplaintStatisticsQueryDto,
  ComplaintSummaryDto,
  CreateComplaintDto,
  PhotoParamDto,
} from './complaint.dtos';
import { UuidParamDto } from './dtos';

/** Complaints and repair requests (接诉即办). Which items a caller sees and may act on is the service's and domain/complaints.ts's rule. */
@ApiTags('complaints')
@ApiBearerAuth()
@Controller('api/v1/complaints')
export class ComplaintController {
  constructor(private readonly complaints: ComplaintService) {}

  @Allow(Permission.ComplaintFile)
  @Post()
  @ZodResponse({ status: 201, type: ComplaintDetailDto })
  file(@Auth() user: AuthUser, @Body() dto: CreateComplaintDto) {
    return this.complaints.file(user, dto);
  }

  @Allow(Permission.ComplaintFile)
  @Get()
  @ZodResponse({ status: 200, type: [ComplaintSummaryDto] })
  list(@Auth() user: AuthUser, @Query() query: ComplaintListQueryDto) {
    return this.complaints.list(user, query);
  }

  @Allow(Permission.SupervisionRead)
  @Get('statistics')
  @ZodResponse({ status: 200, type: [ComplaintStatisticsDto] })
  statistics(@Auth() user: AuthUser, @Query() query: ComplaintStatisticsQueryDto) {
    return this.complaints.statistics(user, query);
  }

  @Allow(Permission.ComplaintFile)
  @Get('inbox')
  @ZodResponse({ status: 200, type: [ComplaintInboxItemDto] })
  inbox(@Auth() user: AuthUser, @Query() { limit }: ComplaintInboxQueryDto) {
    return this.complaints.inbox(user, limit);
  }

  @Allow(Permission.ComplaintFile)
  @Get('communities/:id/settings')
  @ZodResponse({ status: 200, type: ComplaintSettingsResponseDto })
  getSettings(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.complaints.getSettings(user, id);
  }

  @Allow(Permission.ComplaintSettingsManage)
  @Put('communities/:id/settings')
  @ZodResponse({ status: 200, type: ComplaintSettingsResponseDto })
  setSettings(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: ComplaintSettingsDto) {
    return this.complaints.setSettings(user, id, dto);
  }

  @Allow(Permission.ComplaintFile)
  @Get(':id')
  @ZodResponse({ status: 200, type: ComplaintDetailDto })
  get(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.complaints.get(user, id);
  }

  /** Respond, resolve, ledger (handling roles); reopen, rate (the filer). */
  @Allow(Permission.ComplaintFile)
  @Post(':id/actions')
  @ZodResponse({ status: 200, type: ComplaintDetailDto })
  act(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: ComplaintActionDto) {
    return this.complaints.act(user, id, dto as ComplaintActionRequest);
  }

  /** Link to an alarm of the item's own community (any other: 404). */
  @Allow(Permission.ComplaintHandle)
  @Post(':id/alarm')
  @ZodResponse({ status: 200, type: ComplaintDetailDto })
  linkAlarm(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: ComplaintLinkAlarmDto) {
    return this.complaints.linkAlarm(user, id, dto.alarmId);
  }

  /** Turn into an emergency repair: a green-channel fund case (draft) with the item as its evidence. */
  @Allow(Permission.ComplaintFundCase)
  @Post(':id/fund-case')
  @ZodResponse({ status: 201, type: ComplaintFundCaseResponseDto })
  toFundCase(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: ComplaintFundCaseDto) {
    return this.complaints.toFundCase(user, id, dto);
  }

  @Allow(Permission.ComplaintFile)
  @Post(':id/photos')
  @ZodResponse({ status: 201, type: ComplaintPhotoDto })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 } }))
  addPhoto(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @UploadedFile() file: { mimetype: string; buffer: Buffer } | undefined) {
    return this.complaints.addPhoto(user, id, file);
  }

  @Allow(Permission.ComplaintFile)
  @Get(':id/photos/:photoId/file')
  @ApiOkResponse({ description: 'the stored photo, with its content type', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/octet-stream')
  async photo(@Auth() user: AuthUser, @Param() { id, photoId }: PhotoParamDto, @Res() res: Response) {
    const file = await this.complaints.readPhoto(user, id, photoId);
    res.type(file.contentType).send(file.content);
  }
}
