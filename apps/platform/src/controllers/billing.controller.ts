import { Body, Controller, Get, Header, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { BillingService } from '../services/billing.service';
import { BillingIdParamDto, BillingSettingsDto, CreateTariffDto, MonthQueryDto, OptionalMonthQueryDto, RecordPaymentDto, RefundDto } from './billing.dtos';

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Allow(Permission.TariffManage)
  @Post('communities/:id/tariffs')
  createTariff(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: CreateTariffDto) {
    return this.billing.createTariff(user, id, dto);
  }

  @Allow(Permission.TariffRead)
  @Get('communities/:id/tariffs')
  listTariffs(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.listTariffs(user, id);
  }

  @Allow(Permission.TariffRead)
  @Get('communities/:id/tariffs/current')
  currentTariff(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.currentTariff(user, id);
  }

  @Allow(Permission.TariffRead)
  @Get('communities/:id/settings')
  settings(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.getSettings(user, id);
  }

  @Allow(Permission.SplitManage)
  @Put('communities/:id/settings')
  setSettings(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: BillingSettingsDto) {
    return this.billing.setSettings(user, id, dto);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/bills')
  bills(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Query() { month }: OptionalMonthQueryDto) {
    return this.billing.listBills(user, id, month);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/ledger')
  ledger(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.ledger(user, id);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/statements')
  statement(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Query() { month }: MonthQueryDto) {
    return this.billing.communityStatement(user, id, month);
  }

  @Allow(Permission.BillingRead)
  @Get('communities/:id/statements/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  statementCsv(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Query() { month }: MonthQueryDto) {
    return this.billing.communityStatementCsv(user, id, month);
  }

  @Allow(Permission.Self)
  @Get('owners/me/earnings')
  earnings(@Auth() user: AuthUser, @Query() { month }: MonthQueryDto) {
    return this.billing.ownerEarnings(user, month);
  }

  @Allow(Permission.Self)
  @Get('owners/me/earnings/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  earningsCsv(@Auth() user: AuthUser, @Query() { month }: MonthQueryDto) {
    return this.billing.ownerEarningsCsv(user, month);
  }

  @Allow(Permission.BillingRead, Permission.OwnBillRead)
  @Get('sessions/:id/bill')
  sessionBill(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.billOfSession(user, id);
  }

  @Allow(Permission.BillingRead, Permission.OwnBillRead)
  @Get('bills/:id')
  bill(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto) {
    return this.billing.getBill(user, id);
  }

  @Allow(Permission.PaymentRecord)
  @Post('bills/:id/payments')
  @HttpCode(201)
  pay(@Auth() user: AuthUser, @Param() { id }: BillingIdParamDto, @Body() dto: RecordPaymentDto) {
    return this.billing.recordPayment(user, id, dto);
  }

  @Allow(Permission.PaymentRecord)
  @Post('bills/:id/refunds')
  @HttpCode(201)
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
  disclosure(@Param() { id }: BillingIdParamDto, @Query() { month }: OptionalMonthQueryDto) {
    return this.billing.disclosure(id, month);
  }
}
