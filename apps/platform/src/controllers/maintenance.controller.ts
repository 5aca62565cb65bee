import { Body, Controller, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { MaintenanceService } from '../services/maintenance.service';
import {
  InspectionCertificateDto,
  InspectionCertificateRequestDto,
  MaintenanceCommunityQueryDto,
  MaintenanceDeviceParamDto,
  MaintenancePlanDto,
  MaintenancePlanRequestDto,
  MaintenanceVisitDto,
  MaintenanceVisitRequestDto,
} from './maintenance.dtos';

/** Maintenance plans, visits and inspection certificates of elevators (TSG T5002) and fire equipment (GB 25201); every route checks the device's community is in scope. */
@ApiTags('maintenance')
@ApiBearerAuth()
@Controller('api/v1/maintenance')
export class MaintenanceController {
  constructor(private readonly maintenance: MaintenanceService) {}

  @Allow(Permission.MaintenanceRead)
  @Get('plans')
  @ZodResponse({ status: 200, type: [MaintenancePlanDto] })
  plans(@Auth() user: AuthUser, @Query() { communityId }: MaintenanceCommunityQueryDto) {
    return this.maintenance.plans(user, communityId);
  }

  @Allow(Permission.MaintenancePlanManage)
  @Put('devices/:id/plan')
  @ZodResponse({ status: 200, type: MaintenancePlanDto })
  setPlan(@Auth() user: AuthUser, @Param() { id }: MaintenanceDeviceParamDto, @Body() dto: MaintenancePlanRequestDto) {
    return this.maintenance.setPlan(user, id, dto);
  }

  @Allow(Permission.MaintenanceRecord)
  @Post('devices/:id/visits')
  @ZodResponse({ status: 201, type: MaintenanceVisitDto })
  recordVisit(@Auth() user: AuthUser, @Param() { id }: MaintenanceDeviceParamDto, @Body() dto: MaintenanceVisitRequestDto) {
    return this.maintenance.recordVisit(user, id, dto);
  }

  @Allow(Permission.MaintenanceRead)
  @Get('devices/:id/visits')
  @ZodResponse({ status: 200, type: [MaintenanceVisitDto] })
  visits(@Auth() user: AuthUser, @Param() { id }: MaintenanceDeviceParamDto) {
    return this.maintenance.visits(user, id);
  }

  /** The use-unit (使用单位, the property company) keeps the inspection certificate. */
  @Allow(Permission.MaintenancePlanManage)
  @Post('devices/:id/certificates')
  @ZodResponse({ status: 201, type: InspectionCertificateDto })
  recordCertificate(@Auth() user: AuthUser, @Param() { id }: MaintenanceDeviceParamDto, @Body() dto: InspectionCertificateRequestDto) {
    return this.maintenance.recordCertificate(user, id, dto);
  }

  @Allow(Permission.MaintenanceRead)
  @Get('devices/:id/certificates')
  @ZodResponse({ status: 200, type: [InspectionCertificateDto] })
  certificates(@Auth() user: AuthUser, @Param() { id }: MaintenanceDeviceParamDto) {
    return this.maintenance.certificates(user, id);
  }
}
