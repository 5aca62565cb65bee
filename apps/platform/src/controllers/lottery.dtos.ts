import { createZodDto } from 'nestjs-zod';
import { drawSlotLotteryRequestSchema, slotLotterySchema } from '@app/contracts';

export class DrawSlotLotteryDto extends createZodDto(drawSlotLotteryRequestSchema) {}
export class SlotLotteryDto extends createZodDto(slotLotterySchema) {}
