import { Body, Controller, Get, Header, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { BillingService } from '../services/billing.service';
import {
  BillDetailDto,
  BillDto,
  BillingIdParamDto,
  BillingSettingsDto,
  BillingSettingsResponseDto,
  CommunityStatementDto,
  CreateTariffDto,
  LedgerDto,
  MonthQueryDto,
  OptionalMonthQueryDto,
  OwnBillDto,
  OwnerEarningsDto,
  ParkingDisclosureDto,
  RecordPaymentDto,
  RefundDto,
  TariffDto,
} from './billing.dtos';

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Allow(Permission.TariffManage)
  @Post('communities/:id/tariffs')
  @ZodResponse({ status: 201, type: TariffDto })
  createTariff(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: CreateTariffDto) {
    return this.billing.createTariff(user, id, dto);
  }

  @Allow(Permission.TariffRead)
  @Get('communities/:id/tariffs')
  @ZodResponse({ status: 200, type: [TariffDto] })
  listTariffs(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.listTariffs(user, id);
  }

  @Allow(Permission.TariffRead)
  @Get('communities/:id/tariffs/current')
  @ZodResponse({ status: 200, type: TariffDto })
  currentTariff(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.currentTariff(user, id);
  }

  @Allow(Permission.TariffRead)
  @Get('communities/:id/settings')
  @ZodResponse({ status: 200, type: BillingSettingsResponseDto })
  settings(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.getSettings(user, id);
  }

  @Allow(Permission.SplitManage)
  @Put('communities/:id/settings')
  @ZodResponse({ status: 200, type: BillingSettingsResponseDto })
  setSettings(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: BillingSettingsDto) {
    return this.billing.setSettings(user, id, dto);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/bills')
  @ZodResponse({ status: 200, type: [BillDto] })
  bills(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Query() { month }: OptionalMonthQueryDto) {
    return this.billing.listBills(user, id, month);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/ledger')
  @ZodResponse({ status: 200, type: LedgerDto })
  ledger(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.ledger(user, id);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/statements')
  @ZodResponse({ status: 200, type: CommunityStatementDto })
  statement(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Query() { month }: MonthQueryDto) {
    return this.billing.communityStatement(user, id, month);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/statements/csv')
  @ApiOkResponse({ description: 'CSV, UTF-8', schema: { type: 'string' } })
  @ApiProduces('text/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  statementCsv(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Query() { month }: MonthQueryDto) {
    return this.billing.communityStatementCsv(user, id, month);
  }

  @Allow(Permission.Self)
  @Get('owners/me/earnings')
  @ZodResponse({ status: 200, type: OwnerEarningsDto })
  earnings(@Auth() user: AuthUser, @Query() { month }: MonthQueryDto) {
    return this.billing.ownerEarnings(user, month);
  }

  @Allow(Permission.Self)
  @Get('owners/me/earnings/csv')
  @ApiOkResponse({ description: 'CSV, UTF-8', schema: { type: 'string' } })
  @ApiProduces('text/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  earningsCsv(@Auth() user: AuthUser, @Query() { month }: MonthQueryDto) {
    return this.billing.ownerEarningsCsv(user, month);
  }

  @Allow(Permission.BillingRead, Permission.OwnBillRead)
  @Get('sessions/:id/bill')
  @ZodResponse({ status: 200, type: BillDetailDto })
  sessionBill(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.billOfSession(user, id);
  }

  /** The bills of the stays I booked, to pay online from /parking/ (before bills/:id, which takes only an id). */
  @Allow(Permission.OwnBillRead)
  @Get('bills/mine')
  @ZodResponse({ status: 200, type: [OwnBillDto] })
  myBills(@Auth() user: AuthUser) {
    return this.billing.ownBills(user);
  }

  @Allow(Permission.BillingRead, Permission.OwnBillRead)
  @Get('bills/:id')
  @ZodResponse({ status: 200, type: BillDetailDto })
  bill(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.getBill(user, id);
  }

  @Allow(Permission.PaymentRecord)
  @Post('bills/:id/payments')
  @ZodResponse({ status: 201, type: BillDetailDto })
  pay(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: RecordPaymentDto) {
    return this.billing.recordPayment(user, id, dto);
  }

  @Allow(Permission.PaymentRecord)
  @Post('bills/:id/refunds')
  @ZodResponse({ status: 201, type: BillDetailDto })
  refund(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: RefundDto) {
    return this.billing.refund(user, id, dto);
  }
}

/** Public disclosure (公示) of a community's parking revenue, common income and tariff; no login. */
@ApiTags('billing')
@Controller('api/v1/public')
export class PublicBillingController {
  constructor(private readonly billing: BillingService) {}

  @Public()
  @Get('communities/:id/parking-disclosure')
  @ZodResponse({ status: 200, type: ParkingDisclosureDto })
  disclosure(@Param() { id }: BillingIdParamDto, @Query() { month }: OptionalMonthQueryDto) {
    return this.billing.disclosure(id, month);
  }
}
