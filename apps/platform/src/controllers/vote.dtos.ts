import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { castBallotRequestSchema, castBallotResponseSchema, openVoteRequestSchema, reviewVoteRequestSchema, voteListQuerySchema, voteReviewSchema, voteSchema } from '@app/contracts';

export class OpenVoteDto extends createZodDto(openVoteRequestSchema) {}
export class CastBallotDto extends createZodDto(castBallotRequestSchema) {}
export class CastBallotResponseDto extends createZodDto(castBallotResponseSchema) {}
export class VoteDto extends createZodDto(voteSchema) {}
export class VoteListQueryDto extends createZodDto(voteListQuerySchema) {}
export class VoteIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class ReviewVoteDto extends createZodDto(reviewVoteRequestSchema) {}
export class VoteReviewDto extends createZodDto(voteReviewSchema) {}
