import { Body, Controller, Get, Param, Post, Put, Query, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ZodResponse } from 'nestjs-zod';
import { maxEvidenceBytes } from '../domain/fund-evidence';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import type { UploadedFileLike } from '../services/uploads';
import { MaintenanceService } from '../services/maintenance.service';
import {
  CertificateParamDto,
  CertificateScanParamDto,
  InspectionCertificateDto,
  InspectionCertificateRequestDto,
  MaintenanceCommunityQueryDto,
  MaintenanceDeviceParamDto,
  MaintenancePlanDto,
  MaintenancePlanRequestDto,
  MaintenanceVisitDto,
  MaintenanceVisitRequestDto,
  VisitParamDto,
  VisitPhotoParamDto,
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

  @Allow(Permission.MaintenanceRecord)
  @Post('devices/:id/visits/:visitId/photos')
  @ZodResponse({ status: 201, type: MaintenanceVisitDto })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 } }))
  addPhoto(@Auth() user: AuthUser, @Param() { id, visitId }: VisitParamDto, @UploadedFile() file: UploadedFileLike | undefined) {
    return this.maintenance.addPhoto(user, id, visitId, file);
  }

  @Allow(Permission.MaintenanceRead)
  @Get('devices/:id/visits/:visitId/photos/:photoId/file')
  @ApiOkResponse({ description: 'the stored photo, with its content type', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/octet-stream')
  async photo(@Auth() user: AuthUser, @Param() { id, visitId, photoId }: VisitPhotoParamDto, @Res() res: Response) {
    const file = await this.maintenance.readPhoto(user, id, visitId, photoId);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`).send(file.content);
  }

  /** The use-unit (使用单位, the property company) keeps the inspection certificate; the maintenance company may enter it from the duty desk. */
  @Allow(Permission.MaintenanceCertificateRecord)
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

  @Allow(Permission.MaintenanceCertificateRecord)
  @Post('devices/:id/certificates/:certificateId/scans')
  @ZodResponse({ status: 201, type: InspectionCertificateDto })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 } }))
  addScan(@Auth() user: AuthUser, @Param() { id, certificateId }: CertificateParamDto, @UploadedFile() file: UploadedFileLike | undefined) {
    return this.maintenance.addScan(user, id, certificateId, file);
  }

  @Allow(Permission.MaintenanceRead)
  @Get('devices/:id/certificates/:certificateId/scans/:scanId/file')
  @ApiOkResponse({ description: 'the stored scan, with its content type', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/octet-stream')
  async scan(@Auth() user: AuthUser, @Param() { id, certificateId, scanId }: CertificateScanParamDto, @Res() res: Response) {
    const file = await this.maintenance.readScan(user, id, certificateId, scanId);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`).send(file.content);
  }
}
