import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  boardAuditEntrySchema,
  boardItemSchema,
  boardSectionSchema,
  committeeStalenessSchema,
  publicBoardSchema,
  publishBoardItemRequestSchema,
  publishCommitteeItemRequestSchema,
  type PublishBoardItemRequest,
  type PublishCommitteeItemRequest,
} from '@app/contracts';

/** A discriminated union (one content shape per section): validated by the union, typed loosely here because a class cannot extend a union. */
export class PublishBoardItemDto extends createZodDto(publishBoardItemRequestSchema as unknown as z.ZodType<{ section: PublishBoardItemRequest['section']; content: unknown }>) {}
export class BoardIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class BoardSectionParamDto extends createZodDto(z.object({ id: z.uuid(), section: boardSectionSchema })) {}
export class BoardItemDto extends createZodDto(boardItemSchema) {}
export class BoardAuditEntryDto extends createZodDto(boardAuditEntrySchema) {}
export class PublicBoardDto extends createZodDto(publicBoardSchema) {}
export class PublishCommitteeItemDto extends createZodDto(publishCommitteeItemRequestSchema as unknown as z.ZodType<{ section: PublishCommitteeItemRequest['section']; content: unknown }>) {}
export class CommitteeStalenessDto extends createZodDto(committeeStalenessSchema) {}
