import { Body, Controller, Get, HttpCode, Ip, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { VisitorService } from '../services/visitor.service';
import {
  VisitorAdmissionDto,
  VisitorAdmissionRequestDto,
  VisitorAvailabilityQueryDto,
  VisitorBillDto,
  VisitorBookingDto,
  VisitorBookingRequestDto,
  VisitorCodeRequestDto,
  VisitorCodeSentDto,
  VisitorCommunityDto,
  VisitorIdParamDto,
  VisitorSessionDto,
  VisitorSignInDto,
  VisitorSlotDto,
} from './visitor.dtos';

/**
 * Visitors from outside the estate (issue 13 §7): an SMS code proves the number, then the
 * visitor's session books shared slots of communities that admit visitors. Paying a bill is the
 * ordinary POST /api/v1/billing/bills/:id/wechat-pay/native. Sign-in is VisitorSignInController.
 */
@ApiTags('visitors')
@ApiBearerAuth()
@Controller('api/v1/visit')
export class VisitorController {
  constructor(private readonly visitors: VisitorService) {}

  @Allow(Permission.VisitorParking)
  @Get('communities')
  @ZodResponse({ status: 200, type: [VisitorCommunityDto] })
  communities() {
    return this.visitors.communities();
  }

  @Allow(Permission.VisitorParking)
  @Get('availability')
  @ZodResponse({ status: 200, type: [VisitorSlotDto] })
  search(@Auth() user: AuthUser, @Query() q: VisitorAvailabilityQueryDto) {
    return this.visitors.search(user, q.communityId, q.from, q.to);
  }

  @Allow(Permission.VisitorParking)
  @Post('bookings')
  @ZodResponse({ status: 201, type: VisitorBookingDto })
  book(@Auth() user: AuthUser, @Body() dto: VisitorBookingRequestDto) {
    return this.visitors.book(user, dto);
  }

  @Allow(Permission.VisitorParking)
  @Get('bookings')
  @ZodResponse({ status: 200, type: [VisitorBookingDto] })
  myBookings(@Auth() user: AuthUser) {
    return this.visitors.myBookings(user);
  }

  @Allow(Permission.VisitorParking)
  @Post('bookings/:id/cancel')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: VisitorBookingDto })
  cancel(@Auth() user: AuthUser, @Param() { id }: VisitorIdParamDto) {
    return this.visitors.cancel(user, id);
  }

  @Allow(Permission.VisitorParking)
  @Get('bills')
  @ZodResponse({ status: 200, type: [VisitorBillDto] })
  myBills(@Auth() user: AuthUser) {
    return this.visitors.myBills(user);
  }
}

/** A visitor's sign-in (no login yet): the public part of the visitor path. */
@ApiTags('visitors')
@Controller('api/v1/public/visit')
export class VisitorSignInController {
  constructor(private readonly visitors: VisitorService) {}

  /** Sends a six-digit code by SMS; the same answer for any number. Rate limited per number and per address (429). */
  @Public()
  @Post('codes')
  @HttpCode(202)
  @ZodResponse({ status: 202, type: VisitorCodeSentDto })
  requestCode(@Body() dto: VisitorCodeRequestDto, @Ip() source: string) {
    return this.visitors.requestCode(dto.phone, source);
  }

  /** The code (five tries, five minutes, used once) opens a visitor session; any failure is the same 401. */
  @Public()
  @Post('sessions')
  @HttpCode(201)
  @ZodResponse({ status: 201, type: VisitorSessionDto })
  signIn(@Body() dto: VisitorSignInDto) {
    return this.visitors.signIn(dto.phone, dto.code);
  }
}

/** Property staff decide whether a community admits visitors' bookings (off by default). */
@ApiTags('visitors')
@ApiBearerAuth()
@Controller('api/v1/parking/communities')
export class VisitorAdmissionController {
  constructor(private readonly visitors: VisitorService) {}

  @Allow(Permission.VisitorSettingsManage)
  @Put(':id/visitors')
  @ZodResponse({ status: 200, type: VisitorAdmissionDto })
  set(@Auth() user: AuthUser, @Param() { id }: VisitorIdParamDto, @Body() dto: VisitorAdmissionRequestDto) {
    return this.visitors.setCommunityAdmits(user, id, dto.visitorsAllowed);
  }
}
