import { Body, Controller, Get, Param, Post, Put, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { Response } from 'express';
import type { FundTransitionRequest } from '@app/contracts';
import { maxEvidenceBytes } from '../domain/fund-evidence';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { FundService } from '../services/fund.service';
import { UuidParamDto } from './dtos';
import {
  CreateFundCaseDto,
  EvidenceParamDto,
  FundCaseDetailDto,
  FundCaseListQueryDto,
  FundCaseSummaryDto,
  FundCityProfileDto,
  FundCommunitySettingsDto,
  FundCommunitySettingsResponseDto,
  FundDisclosureDto,
  FundEvidenceUploadDto,
  FundTransitionDto,
  HolidayCalendarDto,
  HolidayCalendarResponseDto,
  YearParamDto,
} from './fund.dtos';

interface UploadedEvidence {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

@ApiTags('fund')
@ApiBearerAuth()
@Controller('api/v1/fund')
export class FundController {
  constructor(private readonly fund: FundService) {}

  @Allow(Permission.FundReport)
  @Post('cases')
  @ZodResponse({ status: 201, type: FundCaseDetailDto })
  create(@Auth() user: AuthUser, @Body() dto: CreateFundCaseDto) {
    return this.fund.createManual(user, dto);
  }

  @Allow(Permission.FundRead)
  @Get('cases')
  @ZodResponse({ status: 200, type: [FundCaseSummaryDto] })
  list(@Auth() user: AuthUser, @Query() query: FundCaseListQueryDto) {
    return this.fund.list(user, query);
  }

  @Allow(Permission.FundRead)
  @Get('cases/:id')
  @ZodResponse({ status: 200, type: FundCaseDetailDto })
  get(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.fund.get(user, id);
  }

  @Allow(Permission.FundTransition)
  @Post('cases/:id/transitions')
  @ZodResponse({ status: 200, type: FundCaseDetailDto })
  transition(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: FundTransitionDto) {
    return this.fund.transition(user, id, dto as FundTransitionRequest);
  }

  @Allow(Permission.FundEvidenceAdd)
  @Post('cases/:id/evidence')
  @ZodResponse({ status: 201, type: FundEvidenceUploadDto })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  // Browsers send a Chinese file name as raw UTF-8 (no filename*): multer would read it as latin1.
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 }, defParamCharset: 'utf8' }))
  upload(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @UploadedFile() file: UploadedEvidence | undefined) {
    return this.fund.addUpload(user, id, file);
  }

  @Allow(Permission.FundRead)
  @Get('cases/:id/evidence/:evidenceId/file')
  @ApiOkResponse({ description: 'the stored file, with its content type', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/octet-stream')
  async download(@Auth() user: AuthUser, @Param() { id, evidenceId }: EvidenceParamDto, @Res() res: Response) {
    const file = await this.fund.readUpload(user, id, evidenceId);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`).send(file.content);
  }

  @Allow(Permission.FundRead)
  @Get('profiles')
  @ZodResponse({ status: 200, type: [FundCityProfileDto] })
  profiles() {
    return [...this.fund.profiles()];
  }

  @Allow(Permission.FundRead)
  @Get('holidays/:year')
  @ZodResponse({ status: 200, type: HolidayCalendarResponseDto })
  getHolidays(@Param() { year }: YearParamDto) {
    return this.fund.getCalendar(year);
  }

  @Allow(Permission.FundCalendarManage)
  @Put('holidays/:year')
  @ZodResponse({ status: 200, type: HolidayCalendarResponseDto })
  setHolidays(@Auth() user: AuthUser, @Param() { year }: YearParamDto, @Body() dto: HolidayCalendarDto) {
    return this.fund.setCalendar(user, year, dto);
  }

  @Allow(Permission.FundRead)
  @Get('communities/:id/settings')
  @ZodResponse({ status: 200, type: FundCommunitySettingsResponseDto })
  getSettings(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.fund.getSettings(user, id);
  }

  @Allow(Permission.FundSettingsManage)
  @Put('communities/:id/settings')
  @ZodResponse({ status: 200, type: FundCommunitySettingsResponseDto })
  setSettings(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: FundCommunitySettingsDto) {
    return this.fund.setSettings(user, id, dto);
  }
}

/** The public disclosure of disclosed cases (公示): no login. */
@ApiTags('fund')
@Controller('api/v1/public/communities')
export class FundPublicController {
  constructor(private readonly fund: FundService) {}

  @Public()
  @Get(':id/fund-cases')
  @ZodResponse({ status: 200, type: FundDisclosureDto })
  disclosure(@Param() { id }: UuidParamDto) {
    return this.fund.disclosure(id);
  }
}
