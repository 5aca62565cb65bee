import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { Request, Response } from 'express';
import { DEVICE_IMPORT_MAX_BYTES } from '@app/contracts';
import { importResultCsv } from '../domain/device-import';
import { Permission } from '../domain/permissions';
import { XLSX_CONTENT_TYPE } from '../domain/xlsx-import';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { DeviceImportService } from '../services/device-import.service';
import { DeviceService } from '../services/device.service';
import { TelemetryService } from '../services/telemetry.service';
import {
  CommunityFilterDto,
  CreateDeviceDto,
  DeadLetterDto,
  DeadLetterQueryDto,
  DeviceCredentialsDto,
  DeviceDto,
  DeviceIdParamDto,
  DeviceImportQueryDto,
  DeviceImportResultDto,
  DeviceLiveDto,
  TelemetryHistoryDto,
  TelemetryQueryDto,
} from './dtos';
import { importUpload } from './import-body';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1')
export class DeviceController {
  constructor(
    private readonly devices: DeviceService,
    private readonly telemetry: TelemetryService,
    private readonly imports: DeviceImportService,
  ) {}

  /**
   * Bulk provisioning (same permission as provisioning one device): a CSV or XLSX file (as the
   * body, or multipart field `file`) or JSON `{ communityId?, devices: [...] }`. Answers with the rejected
   * rows and, once, the secrets of the created devices (`?format=csv` for a file to keep).
   */
  @Allow(Permission.DeviceManage)
  @Post('devices/import')
  @HttpCode(200)
  @ApiConsumes('text/csv', XLSX_CONTENT_TYPE, 'multipart/form-data', 'application/json')
  // JSON or (format=csv) a file: the schema is declared without @ZodResponse, which would check for JSON only.
  @ApiOkResponse({ type: DeviceImportResultDto.Output, description: 'format=json; format=csv answers one line per input row' })
  @ApiProduces('application/json', 'text/csv')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: DEVICE_IMPORT_MAX_BYTES, files: 1 } }))
  async import(
    @Auth() user: AuthUser,
    @Query() query: DeviceImportQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @UploadedFile() upload: { buffer: Buffer; mimetype: string } | undefined,
  ) {
    const file = upload || req.is(['text/csv', XLSX_CONTENT_TYPE]) ? { table: await importUpload(req, upload, DEVICE_IMPORT_MAX_BYTES) } : { json: req.body as unknown };
    const result = await this.imports.importFile(user, file, { communityId: query.communityId, batchSize: query.batchSize });
    res.setHeader('Cache-Control', 'no-store');
    if (query.format !== 'csv') return result;
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="device-import-${new Date().toISOString().slice(0, 10)}.csv"`);
    return importResultCsv(result);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices')
  @ZodResponse({ status: 201, type: DeviceCredentialsDto })
  provision(@Auth() user: AuthUser, @Body() dto: CreateDeviceDto) {
    return this.devices.provision(user, dto);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices')
  @ZodResponse({ status: 200, type: [DeviceDto] })
  list(@Auth() user: AuthUser, @Query() { communityId }: CommunityFilterDto) {
    return this.devices.list(user, communityId);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices/:id')
  @ZodResponse({ status: 200, type: DeviceDto })
  get(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.get(user, id);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices/:id/rotate-secret')
  @ZodResponse({ status: 200, type: DeviceCredentialsDto })
  rotate(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.rotateSecret(user, id);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices/:id/disable')
  @ZodResponse({ status: 200, type: DeviceDto })
  disable(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.setDisabled(user, id, true);
  }

  @Allow(Permission.DeviceManage)
  @Post('devices/:id/enable')
  @ZodResponse({ status: 200, type: DeviceDto })
  enable(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.devices.setDisabled(user, id, false);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices/:id/live')
  @ZodResponse({ status: 200, type: DeviceLiveDto })
  live(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto) {
    return this.telemetry.deviceLive(user, id);
  }

  @Allow(Permission.DeviceRead)
  @Get('devices/:id/telemetry')
  @ZodResponse({ status: 200, type: TelemetryHistoryDto })
  history(@Auth() user: AuthUser, @Param() { id }: DeviceIdParamDto, @Query() query: TelemetryQueryDto) {
    return this.telemetry.history(user, id, query);
  }

  @Allow(Permission.DeadLetterRead)
  @Get('dead-letters')
  @ZodResponse({ status: 200, type: [DeadLetterDto] })
  deadLetters(@Auth() user: AuthUser, @Query() { limit }: DeadLetterQueryDto) {
    return this.telemetry.deadLetters(user, limit);
  }
}
