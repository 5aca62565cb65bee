import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { VoteService } from '../services/vote.service';
import { CastBallotDto, CastBallotResponseDto, OpenVoteDto, ReviewVoteDto, VoteDto, VoteIdParamDto, VoteListQueryDto, VoteReviewDto } from './vote.dtos';

/** Owners' joint decisions (业主共同决定): open a vote, vote for one's units, read the result. */
@ApiTags('votes')
@ApiBearerAuth()
@Controller('api/v1/votes')
export class VoteController {
  constructor(private readonly votes: VoteService) {}

  @Allow(Permission.VoteOpen)
  @Post()
  @ZodResponse({ status: 201, type: VoteDto })
  open(@Auth() user: AuthUser, @Body() dto: OpenVoteDto) {
    return this.votes.open(user, dto);
  }

  @Allow(Permission.VoteRead)
  @Get()
  @ZodResponse({ status: 200, type: [VoteDto] })
  list(@Auth() user: AuthUser, @Query() { communityId }: VoteListQueryDto) {
    return this.votes.list(user, communityId);
  }

  @Allow(Permission.VoteRead)
  @Get(':id')
  @ZodResponse({ status: 200, type: VoteDto })
  get(@Auth() user: AuthUser, @Param() { id }: VoteIdParamDto) {
    return this.votes.get(user, id);
  }

  @Allow(Permission.VoteCast)
  @Post(':id/ballots')
  @ZodResponse({ status: 201, type: CastBallotResponseDto })
  cast(@Auth() user: AuthUser, @Param() { id }: VoteIdParamDto, @Body() dto: CastBallotDto) {
    return this.votes.cast(user, id, dto);
  }

  @Allow(Permission.VoteReview)
  @Post(':id/reviews')
  @ZodResponse({ status: 201, type: VoteReviewDto })
  review(@Auth() user: AuthUser, @Param() { id }: VoteIdParamDto, @Body() dto: ReviewVoteDto) {
    return this.votes.review(user, id, dto);
  }
}
