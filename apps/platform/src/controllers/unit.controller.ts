import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import type { Request, Response } from 'express';
import { UNIT_IMPORT_MAX_BYTES } from '@app/contracts';
import { maxEvidenceBytes } from '../domain/fund-evidence';
import { XLSX_CONTENT_TYPE } from '../domain/xlsx-import';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { UnitService, type UploadedDocument } from '../services/unit.service';
import { importUpload } from './import-body';
import { CommunityIdParamDto, UnitClaimDecisionDto, UnitClaimDto, UnitClaimFieldsDto, UnitClaimQueryDto, UnitIdParamDto, UnitImportResultDto, UnitRepresentativeDto, UnitUserParamDto } from './unit.dtos';

/** Claims to units and their verification (property staff or the owners' committee), and the estate import. */
@ApiTags('units')
@ApiBearerAuth()
@Controller('api/v1')
export class UnitVerificationController {
  constructor(private readonly units: UnitService) {}

  /** A resident claims a unit of a community they belong to, with the deed, contract or lease. */
  @Allow(Permission.Self)
  @Post('units/:unitId/claims')
  @ZodResponse({ status: 201, type: UnitClaimDto })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' }, relation: { type: 'string', enum: ['owner', 'tenant'] } } } })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: maxEvidenceBytes, files: 1 } }))
  claim(@Auth() user: AuthUser, @Param() { unitId }: UnitIdParamDto, @Body() fields: UnitClaimFieldsDto, @UploadedFile() file: UploadedDocument | undefined) {
    return this.units.claim(user, unitId, fields.relation, file);
  }

  @Allow(Permission.UnitVerify)
  @Get('communities/:id/unit-claims')
  @ZodResponse({ status: 200, type: [UnitClaimDto] })
  claims(@Auth() user: AuthUser, @Param() { id }: CommunityIdParamDto, @Query() { status }: UnitClaimQueryDto) {
    return this.units.claims(user, id, status);
  }

  @Allow(Permission.UnitVerify)
  @Post('units/:unitId/occupants/:userId/decision')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: UnitClaimDto })
  decide(@Auth() user: AuthUser, @Param() { unitId, userId }: UnitUserParamDto, @Body() dto: UnitClaimDecisionDto) {
    return this.units.decide(user, unitId, userId, dto);
  }

  @Allow(Permission.UnitVerify)
  @Get('units/:unitId/occupants/:userId/document')
  @ApiOkResponse({ description: 'the claim\'s document, with its content type', schema: { type: 'string', format: 'binary' } })
  @ApiProduces('application/octet-stream')
  async document(@Auth() user: AuthUser, @Param() { unitId, userId }: UnitUserParamDto, @Res() res: Response) {
    const file = await this.units.document(user, unitId, userId);
    res.type(file.contentType).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`).send(file.content);
  }

  /** Which verified owner votes for a co-owned unit. */
  @Allow(Permission.UnitVerify)
  @Put('units/:unitId/representative')
  @ZodResponse({ status: 200, type: UnitClaimDto })
  representative(@Auth() user: AuthUser, @Param() { unitId }: UnitIdParamDto, @Body() dto: UnitRepresentativeDto) {
    return this.units.setRepresentative(user, unitId, dto.userId);
  }

  /** An estate's units from a CSV or XLSX file (as the body, or multipart field `file`): building, number, floorArea[, owner, relation]. */
  @Allow(Permission.UnitManage)
  @Post('communities/:id/units/import')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: UnitImportResultDto })
  @ApiConsumes('text/csv', XLSX_CONTENT_TYPE, 'multipart/form-data')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: UNIT_IMPORT_MAX_BYTES, files: 1 } }))
  async import(@Auth() user: AuthUser, @Param() { id }: CommunityIdParamDto, @Req() req: Request, @UploadedFile() upload: { buffer: Buffer; mimetype: string } | undefined) {
    return this.units.importUnits(user, id, await importUpload(req, upload, UNIT_IMPORT_MAX_BYTES));
  }
}
