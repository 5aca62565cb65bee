import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { CreditAssessmentRequest, CreditWeightSetRequest } from '@app/contracts';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { CreditService } from '../services/credit.service';
import {
  CreditAssessmentDto,
  CreditAssessmentQueryDto,
  CreditAssessmentRequestDto,
  CreditCompanyParamDto,
  CreditGradeDto,
  CreditListsDto,
  CreditRunDto,
  CreditWeightSetDto,
  CreditWeightSetRequestDto,
  CreditYearParamDto,
} from './credit.dtos';

/** Credit grades of property companies (信用评价, seed 004_592cdd860f3d4a71.txt 五(三)). */
@ApiTags('credit')
@ApiBearerAuth()
@Controller('api/v1/credit')
export class CreditController {
  constructor(private readonly credit: CreditService) {}

  @Allow(Permission.CreditAssess)
  @Post('assessments')
  @ZodResponse({ status: 201, type: CreditAssessmentDto })
  addAssessment(@Auth() user: AuthUser, @Body() dto: CreditAssessmentRequestDto) {
    return this.credit.addAssessment(user, dto as CreditAssessmentRequest);
  }

  @Allow(Permission.CreditRead)
  @Get('assessments')
  @ZodResponse({ status: 200, type: [CreditAssessmentDto] })
  assessments(@Auth() user: AuthUser, @Query() query: CreditAssessmentQueryDto) {
    return this.credit.assessments(user, query);
  }

  @Allow(Permission.CreditRead)
  @Get('weight-sets')
  @ZodResponse({ status: 200, type: [CreditWeightSetDto] })
  weightSets() {
    return this.credit.weightSets();
  }

  @Allow(Permission.CreditConfigure)
  @Post('weight-sets')
  @ZodResponse({ status: 201, type: CreditWeightSetDto })
  addWeightSet(@Auth() user: AuthUser, @Body() dto: CreditWeightSetRequestDto) {
    return this.credit.addWeightSet(user, dto as CreditWeightSetRequest);
  }

  @Allow(Permission.CreditGrade)
  @Post('grades/:year/run')
  @ZodResponse({ status: 201, type: CreditRunDto })
  run(@Auth() user: AuthUser, @Param() { year }: CreditYearParamDto) {
    return this.credit.run(user, year);
  }

  @Allow(Permission.CreditRead)
  @Get('grades/:year')
  @ZodResponse({ status: 200, type: [CreditGradeDto] })
  grades(@Auth() user: AuthUser, @Param() { year }: CreditYearParamDto) {
    return this.credit.grades(user, year);
  }

  @Allow(Permission.CreditRead)
  @Get('grades/:year/companies/:id')
  @ZodResponse({ status: 200, type: CreditGradeDto })
  grade(@Auth() user: AuthUser, @Param() { year, id }: CreditCompanyParamDto) {
    return this.credit.grade(user, year, id);
  }
}

/** The published red and black lists (红黑榜): no login, like the 公示栏. */
@ApiTags('credit')
@Controller('api/v1/public/credit')
export class PublicCreditController {
  constructor(private readonly credit: CreditService) {}

  @Public()
  @Get('lists/:year')
  @ZodResponse({ status: 200, type: CreditListsDto })
  lists(@Param() { year }: CreditYearParamDto) {
    return this.credit.lists(year);
  }
}
