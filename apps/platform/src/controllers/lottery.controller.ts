import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { SlotLotteryService } from '../services/slot-lottery.service';
import { DrawSlotLotteryDto, SlotLotteryDto } from './lottery.dtos';

/** The lottery (摇号) for newly added parking slots; its seed and result go on the public board. */
@ApiTags('parking')
@ApiBearerAuth()
@Controller('api/v1/parking/lotteries')
export class SlotLotteryController {
  constructor(private readonly lotteries: SlotLotteryService) {}

  @Allow(Permission.ParkingLotteryDraw)
  @Post()
  @ZodResponse({ status: 201, type: SlotLotteryDto })
  draw(@Auth() user: AuthUser, @Body() dto: DrawSlotLotteryDto) {
    return this.lotteries.draw(user, dto);
  }
}
