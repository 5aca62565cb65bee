import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { FundTransitionRequest } from '@app/contracts';
import { maxEvidenceBytes } from '../domain/fund-evidence';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { FundService } from '../services/fund.service';
import { UuidParamDto } from './dtos';
import { CreateFundCaseDto, EvidenceParamDto, FundCaseListQueryDto, FundCommunitySettingsDto, FundTransitionDto, HolidayCalendarDto, YearParamDto } from './fund.dtos';

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
  create(@Auth() user: AuthUser, @Body() dto: CreateFundCaseDto) {
    return this.fund.createManual(user, dto);
  }

  @Allow(Permission.FundRead)
  @Get('cases')
  list(@Auth() user: AuthUser, @Query() query: FundCaseListQueryDto) {
    return this.fund.list(user, query);
  }

  @Allow(Permission.FundRead)
  @Get('cases/:id')
  get(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.fund.get(user, id);
  }

  @Allow(Permission.FundTransition)
  @Post('cases/:id/transitions')
  @HttpCode(200)
  transition(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: FundTransitionDto) {
    return this.fund.transition(user, id, dto as FundTransitionRequest);
  }

  @Allow(Permission.FundEvidenceAdd)
  @Post('cases/:id/evidence')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 } }))
  upload(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @UploadedFile() file: UploadedEvidence | undefined) {
    return this.fund.addUpload(user, id, file);
  }

  @Allow(Permission.FundRead)
  @Get('cases/:id/evidence/:evidenceId/file')
  async download(@Auth() user: AuthUser, @Param() { id, evidenceId }: EvidenceParamDto, @Res() res: Response) {
    const file = await this.fund.readUpload(user, id, evidenceId);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`).send(file.content);
  }

  @Allow(Permission.FundRead)
  @Get('profiles')
  profiles() {
    return this.fund.profiles();
  }

  @Allow(Permission.FundRead)
  @Get('holidays/:year')
  getHolidays(@Param() { year }: YearParamDto) {
    return this.fund.getCalendar(year);
  }

  @Allow(Permission.FundCalendarManage)
  @Put('holidays/:year')
  setHolidays(@Auth() user: AuthUser, @Param() { year }: YearParamDto, @Body() dto: HolidayCalendarDto) {
    return this.fund.setCalendar(user, year, dto);
  }

  @Allow(Permission.FundRead)
  @Get('communities/:id/settings')
  getSettings(@Auth() user: AuthUser, @Param() { id }: UuidParamDto) {
    return this.fund.getSettings(user, id);
  }

  @Allow(Permission.FundSettingsManage)
  @Put('communities/:id/settings')
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
  disclosure(@Param() { id }: UuidParamDto) {
    return this.fund.disclosure(id);
  }
}
