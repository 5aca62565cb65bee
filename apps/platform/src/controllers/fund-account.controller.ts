import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { Request } from 'express';
import { FUND_OPENING_MAX_BYTES } from '@app/contracts';
import { Permission } from '../domain/permissions';
import { XLSX_CONTENT_TYPE } from '../domain/xlsx-import';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { FundAccountService } from '../services/fund-account.service';
import {
  CommonIncomeDto,
  CommonIncomeResultDto,
  FundCommunityParamDto,
  FundCommunityQueryDto,
  FundCommunityStatementDto,
  FundDepositDto,
  FundInterestDto,
  FundOpeningQueryDto,
  FundOpeningResultDto,
  FundPostingResultDto,
  FundTransferDto,
  FundUnitAccountDetailDto,
  FundUnitAccountDto,
  FundUnitParamDto,
  FundUnitStatementDto,
  FundYearQueryDto,
} from './fund-account.dtos';
import { importUpload } from './import-body';

/** Maintenance-fund accounts per unit (专项维修资金分户账): postings by the fund's keepers, balances, movements and yearly statements. */
@ApiTags('fund-accounts')
@ApiBearerAuth()
@Controller('api/v1/fund-accounts')
export class FundAccountController {
  constructor(private readonly accounts: FundAccountService) {}

  /** One's own units (a verified owner) with their balances. */
  @Allow(Permission.FundAccountRead)
  @Get('mine')
  @ZodResponse({ status: 200, type: [FundUnitAccountDto] })
  mine(@Auth() user: AuthUser) {
    return this.accounts.mine(user);
  }

  @Allow(Permission.FundAccountReadAll)
  @Get()
  @ZodResponse({ status: 200, type: [FundUnitAccountDto] })
  community(@Auth() user: AuthUser, @Query() { communityId }: FundCommunityQueryDto) {
    return this.accounts.communityAccounts(user, communityId);
  }

  @Allow(Permission.FundAccountRead)
  @Get('units/:unitId')
  @ZodResponse({ status: 200, type: FundUnitAccountDetailDto })
  unit(@Auth() user: AuthUser, @Param() { unitId }: FundUnitParamDto) {
    return this.accounts.unitAccount(user, unitId);
  }

  @Allow(Permission.FundAccountRead)
  @Get('units/:unitId/statement')
  @ZodResponse({ status: 200, type: FundUnitStatementDto })
  unitStatement(@Auth() user: AuthUser, @Param() { unitId }: FundUnitParamDto, @Query() { year }: FundYearQueryDto) {
    return this.accounts.unitStatement(user, unitId, year);
  }

  @Allow(Permission.FundAccountReadAll)
  @Get('communities/:id/statement')
  @ZodResponse({ status: 200, type: FundCommunityStatementDto })
  communityStatement(@Auth() user: AuthUser, @Param() { id }: FundCommunityParamDto, @Query() { year }: FundYearQueryDto) {
    return this.accounts.communityStatement(user, id, year);
  }

  /** Opening balances of a community's units from a CSV or XLSX file (as the body, or multipart field `file`): building, number, balance (yuan). */
  @Allow(Permission.FundAccountPost)
  @Post('communities/:id/opening-balances/import')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: FundOpeningResultDto })
  @ApiConsumes('text/csv', XLSX_CONTENT_TYPE, 'multipart/form-data')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: FUND_OPENING_MAX_BYTES, files: 1 } }))
  async importOpening(@Auth() user: AuthUser, @Param() { id }: FundCommunityParamDto, @Query() { asOf }: FundOpeningQueryDto, @Req() req: Request, @UploadedFile() upload: { buffer: Buffer; mimetype: string } | undefined) {
    return this.accounts.importOpening(user, id, await importUpload(req, upload, FUND_OPENING_MAX_BYTES), asOf);
  }

  @Allow(Permission.FundAccountPost)
  @Post('units/:unitId/deposits')
  @ZodResponse({ status: 201, type: FundPostingResultDto })
  deposit(@Auth() user: AuthUser, @Param() { unitId }: FundUnitParamDto, @Body() dto: FundDepositDto) {
    return this.accounts.deposit(user, unitId, dto);
  }

  @Allow(Permission.FundAccountPost)
  @Post('communities/:id/interest')
  @ZodResponse({ status: 201, type: FundPostingResultDto })
  interest(@Auth() user: AuthUser, @Param() { id }: FundCommunityParamDto, @Body() dto: FundInterestDto) {
    return this.accounts.postInterest(user, id, dto);
  }

  @Allow(Permission.FundCommonIncomeTransfer)
  @Post('communities/:id/transfers')
  @ZodResponse({ status: 201, type: FundPostingResultDto })
  transfer(@Auth() user: AuthUser, @Param() { id }: FundCommunityParamDto, @Body() dto: FundTransferDto) {
    return this.accounts.transfer(user, id, dto);
  }

  /** Advertising or other common-area income received, into the community's common income (which transfers move into the fund). */
  @Allow(Permission.CommonIncomeRecord)
  @Post('communities/:id/common-income')
  @ZodResponse({ status: 201, type: CommonIncomeResultDto })
  commonIncome(@Auth() user: AuthUser, @Param() { id }: FundCommunityParamDto, @Body() dto: CommonIncomeDto) {
    return this.accounts.recordCommonIncome(user, id, dto);
  }
}
