import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { CompanyScorecards } from '@app/contracts';
import type { Response } from 'express';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { StatisticsService } from '../services/statistics.service';
import { UuidParamDto } from './dtos';
import {
  AssignCommunitiesDto,
  CommunityStatisticsDto,
  CompanyScorecardsDto,
  CreatePropertyCompanyDto,
  PropertyCompanyAssignmentDto,
  PropertyCompanyDto,
  StatisticsQueryDto,
} from './statistics.dtos';

@ApiTags('statistics')
@ApiBearerAuth()
@Controller('api/v1')
export class StatisticsController {
  constructor(private readonly statistics: StatisticsService) {}

  @Allow(Permission.PropertyCompanyManage)
  @Post('property-companies')
  @ZodResponse({ status: 201, type: PropertyCompanyDto })
  createCompany(@Auth() user: AuthUser, @Body() dto: CreatePropertyCompanyDto) {
    return this.statistics.createCompany(user, dto);
  }

  @Allow(Permission.PropertyCompanyManage)
  @Get('property-companies')
  @ZodResponse({ status: 200, type: [PropertyCompanyDto] })
  listCompanies() {
    return this.statistics.listCompanies();
  }

  @Allow(Permission.PropertyCompanyManage)
  @Post('property-companies/:id/communities')
  @ZodResponse({ status: 201, type: PropertyCompanyAssignmentDto })
  assign(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: AssignCommunitiesDto) {
    return this.statistics.assignCommunities(user, id, dto.communityIds);
  }

  @Allow(Permission.StatisticsRead)
  @Get('statistics/communities/:id')
  @ZodResponse({ status: 200, type: CommunityStatisticsDto })
  community(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Query() query: StatisticsQueryDto) {
    return this.statistics.community(user, id, query);
  }

  @Allow(Permission.StatisticsRead)
  @Get('statistics/companies')
  // The response is written here (JSON or a file), so the schema is declared without @ZodResponse.
  @ApiOkResponse({ type: CompanyScorecardsDto.Output, description: 'format=json; csv and xlsx answer the same rows as a file' })
  @ApiProduces('application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  async companies(@Auth() user: AuthUser, @Query() query: StatisticsQueryDto, @Res() res: Response) {
    if (query.format === 'json') {
      const scorecards: CompanyScorecards = await this.statistics.companies(user, query);
      res.json(scorecards);
      return;
    }
    const file = await this.statistics.exportCompanies(user, query);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`).send(file.content);
  }
}
