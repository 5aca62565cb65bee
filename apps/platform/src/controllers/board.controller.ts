import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { PublishBoardItemRequest, PublishCommitteeItemRequest } from '@app/contracts';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { BoardService } from '../services/board.service';
import { CommitteeBoardService } from '../services/committee-board.service';
import { BoardAuditEntryDto, BoardIdParamDto, BoardItemDto, BoardSectionParamDto, CommitteeStalenessDto, PublicBoardDto, PublishBoardItemDto, PublishCommitteeItemDto } from './board.dtos';

/** Publishing on a community's disclosure board (公示栏): platform_admin / property_staff in scope. */
@ApiTags('board')
@ApiBearerAuth()
@Controller('api/v1/board')
export class BoardController {
  constructor(private readonly board: BoardService) {}

  @Allow(Permission.BoardPublish)
  @Post('communities/:id/items')
  @ZodResponse({ status: 201, type: BoardItemDto })
  publish(@Auth() user: AuthUser, @Param() { id }: BoardIdParamDto, @Body() dto: PublishBoardItemDto) {
    return this.board.publish(user, id, dto as PublishBoardItemRequest);
  }

  @Allow(Permission.BoardPublish)
  @Get('communities/:id/items/:section/history')
  @ZodResponse({ status: 200, type: [BoardItemDto] })
  history(@Auth() user: AuthUser, @Param() { id, section }: BoardSectionParamDto) {
    return this.board.history(user, id, section);
  }

  @Allow(Permission.BoardPublish)
  @Get('communities/:id/audit')
  @ZodResponse({ status: 200, type: [BoardAuditEntryDto] })
  auditTrail(@Auth() user: AuthUser, @Param() { id }: BoardIdParamDto) {
    return this.board.auditTrail(user, id);
  }
}

/** The committees' sections of the board (issue 13 §6): published by the committees, watched by the street. */
@ApiTags('board')
@ApiBearerAuth()
@Controller('api/v1/board')
export class CommitteeBoardController {
  constructor(
    private readonly board: BoardService,
    private readonly committee: CommitteeBoardService,
  ) {}

  @Allow(Permission.CommitteeBoardPublish)
  @Post('communities/:id/committee-items')
  @ZodResponse({ status: 201, type: BoardItemDto })
  publish(@Auth() user: AuthUser, @Param() { id }: BoardIdParamDto, @Body() dto: PublishCommitteeItemDto) {
    return this.board.publishCommittee(user, id, dto as PublishCommitteeItemRequest);
  }

  @Allow(Permission.SupervisionRead)
  @Get('committee-staleness')
  @ZodResponse({ status: 200, type: CommitteeStalenessDto })
  staleness(@Auth() user: AuthUser) {
    return this.committee.staleness(user);
  }
}

/** The public disclosure board of a community: no login, printable. */
@ApiTags('board')
@Controller('api/v1/public/communities')
export class PublicBoardController {
  constructor(private readonly board: BoardService) {}

  @Public()
  @Get(':id/board')
  @ZodResponse({ status: 200, type: PublicBoardDto })
  show(@Param() { id }: BoardIdParamDto) {
    return this.board.board(id);
  }
}
