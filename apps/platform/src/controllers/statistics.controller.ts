import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { StatisticsService } from '../services/statistics.service';
import { UuidParamDto } from './dtos';
import { AssignCommunitiesDto, CreatePropertyCompanyDto, StatisticsQueryDto } from './statistics.dtos';

@ApiTags('statistics')
@ApiBearerAuth()
@Controller('api/v1')
export class StatisticsController {
  constructor(private readonly statistics: StatisticsService) {}

  @Allow(Permission.PropertyCompanyManage)
  @Post('property-companies')
  createCompany(@Auth() user: AuthUser, @Body() dto: CreatePropertyCompanyDto) {
    return this.statistics.createCompany(user, dto);
  }

  @Allow(Permission.PropertyCompanyManage)
  @Get('property-companies')
  listCompanies() {
    return this.statistics.listCompanies();
  }

  @Allow(Permission.PropertyCompanyManage)
  @Post('property-companies/:id/communities')
  assign(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: AssignCommunitiesDto) {
    return this.statistics.assignCommunities(user, id, dto.communityIds);
  }

  @Allow(Permission.StatisticsRead)
  @Get('statistics/communities/:id')
  community(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Query() query: StatisticsQueryDto) {
    return this.statistics.community(user, id, query);
  }

  @Allow(Permission.StatisticsRead)
  @Get('statistics/companies')
  async companies(@Auth() user: AuthUser, @Query() query: StatisticsQueryDto, @Res() res: Response) {
    if (query.format === 'json') {
      res.json(await this.statistics.companies(user, query));
      return;
    }
    const file = await this.statistics.exportCompanies(user, query);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`).send(file.content);
  }
}
