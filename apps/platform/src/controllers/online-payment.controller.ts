import { Controller, Get, Header, HttpCode, Param, Post, Query, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import type { SignatureHeaders } from '../domain/wechat-pay';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { OnlinePaymentService } from '../services/online-payment.service';
import { OnlinePaymentBillParamDto, OnlinePaymentOrderDto, PaymentNotificationAckDto, PaymentReconciliationDto, PaymentReconciliationQueryDto } from './online-payment.dtos';

/** Paying parking bills online (issue 13 §7): WeChat Pay Native and Alipay face-to-face orders, and the daily reconciliations. */
@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing')
export class OnlinePaymentController {
  constructor(private readonly payments: OnlinePaymentService) {}

  /** Staff at the booth, or the owner or guest of the bill. */
  @Allow(Permission.PaymentRecord, Permission.OwnBillRead)
  @Post('bills/:id/wechat-pay/native')
  @ZodResponse({ status: 201, type: OnlinePaymentOrderDto })
  startNative(@Auth() user: AuthUser, @Param() { id }: OnlinePaymentBillParamDto) {
    return this.payments.startWechatNative(user, id);
  }

  /** Staff at the booth, or the owner or guest of the bill. */
  @Allow(Permission.PaymentRecord, Permission.OwnBillRead)
  @Post('bills/:id/alipay/precreate')
  @ZodResponse({ status: 201, type: OnlinePaymentOrderDto })
  startAlipay(@Auth() user: AuthUser, @Param() { id }: OnlinePaymentBillParamDto) {
    return this.payments.startAlipayPrecreate(user, id);
  }

  @Allow(Permission.PaymentReconcile)
  @Get('alipay/reconciliation')
  @ZodResponse({ status: 200, type: PaymentReconciliationDto })
  reconcileAlipay(@Query() { date }: PaymentReconciliationQueryDto) {
    return this.payments.reconcileAlipay(date);
  }

  @Allow(Permission.PaymentReconcile)
  @Get('wechat-pay/reconciliation')
  @ZodResponse({ status: 200, type: PaymentReconciliationDto })
  reconcile(@Query() { date }: PaymentReconciliationQueryDto) {
    return this.payments.reconcileWechat(date);
  }
}

/** WeChat Pay and Alipay call these (no login): the signature over what they send is the authentication. */
@ApiTags('billing')
@Controller('api/v1/public/payments')
export class PaymentNotificationController {
  constructor(private readonly payments: OnlinePaymentService) {}

  @Public()
  @Post('wechat/notify')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: PaymentNotificationAckDto })
  wechatNotify(@Req() req: RawBodyRequest<Request>) {
    return this.payments.wechatNotification(req.headers as SignatureHeaders, req.rawBody?.toString('utf8') ?? '');
  }

  /** Alipay's asynchronous notification: form-encoded, answered with the plain text `success` once taken. */
  @Public()
  @Post('alipay/notify')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'the plain text success', schema: { type: 'string', enum: ['success'] } })
  alipayNotify(@Req() req: RawBodyRequest<Request>) {
    return this.payments.alipayNotification(req.rawBody?.toString('utf8') ?? '');
  }
}
