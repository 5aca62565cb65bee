import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { AnswerSurveyRequest } from '@app/contracts';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { SurveyService } from '../services/survey.service';
import { AnswerSurveyDto, AnswerSurveyResponseDto, OpenSurveyDto, SurveyCommentsDto, SurveyDto, SurveyIdParamDto, SurveyListQueryDto, SurveyResultsDto, SurveyResultsQueryDto } from './survey.dtos';

/** Owners' half-yearly satisfaction surveys (满意度测评): open, answer once per unit, close, read the results. */
@ApiTags('surveys')
@ApiBearerAuth()
@Controller('api/v1/surveys')
export class SurveyController {
  constructor(private readonly surveys: SurveyService) {}

  @Allow(Permission.SurveyOpen)
  @Post()
  @ZodResponse({ status: 201, type: SurveyDto })
  open(@Auth() user: AuthUser, @Body() dto: OpenSurveyDto) {
    return this.surveys.open(user, dto);
  }

  @Allow(Permission.SurveyRead)
  @Get()
  @ZodResponse({ status: 200, type: [SurveyDto] })
  list(@Auth() user: AuthUser, @Query() { communityId }: SurveyListQueryDto) {
    return this.surveys.list(user, communityId);
  }

  @Allow(Permission.SurveyResultsRead)
  @Get('results')
  @ZodResponse({ status: 200, type: SurveyResultsDto })
  results(@Auth() user: AuthUser, @Query() query: SurveyResultsQueryDto) {
    return this.surveys.results(user, query);
  }

  @Allow(Permission.SurveyRead)
  @Get(':id')
  @ZodResponse({ status: 200, type: SurveyDto })
  get(@Auth() user: AuthUser, @Param() { id }: SurveyIdParamDto) {
    return this.surveys.get(user, id);
  }

  @Allow(Permission.SurveyResultsRead)
  @Get(':id/comments')
  @ZodResponse({ status: 200, type: SurveyCommentsDto })
  comments(@Auth() user: AuthUser, @Param() { id }: SurveyIdParamDto) {
    return this.surveys.comments(user, id);
  }

  @Allow(Permission.SurveyAnswer)
  @Post(':id/answers')
  @ZodResponse({ status: 201, type: AnswerSurveyResponseDto })
  answer(@Auth() user: AuthUser, @Param() { id }: SurveyIdParamDto, @Body() dto: AnswerSurveyDto) {
    return this.surveys.answer(user, id, dto as AnswerSurveyRequest);
  }

  @Allow(Permission.SurveyOpen)
  @Post(':id/close')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: SurveyDto })
  close(@Auth() user: AuthUser, @Param() { id }: SurveyIdParamDto) {
    return this.surveys.close(user, id);
  }
}
