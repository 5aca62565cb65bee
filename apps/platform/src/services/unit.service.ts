import { BadRequestException, ConflictException, HttpException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { UNIT_IMPORT_MAX_ROWS, type OccupantStatus, type UnitClaim, type UnitClaimDecisionRequest, type UnitImportResult } from '@app/contracts';
import { ImportFileError } from '../domain/csv-import';
import { checkEvidenceUpload } from '../domain/fund-evidence';
import { Permission } from '../domain/permissions';
import type { ImportUpload } from '../domain/import-file';
import { parseUnitFile, unitKey, validateUnitRows } from '../domain/unit-import';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { FundFileRepository } from '../repositories/fund.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { UserRepository } from '../repositories/user.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

export interface UploadedDocument {
  originalname: string;
  mimetype: string;
  buffer: Buffer;
}

/**
 * Owners and tenants of units (issue 13 §1): a resident claims a unit with a document (deed,
 * purchase contract, lease), checked and stored like fund evidence; property staff or the owners'
 * committee verify or refuse it; a co-owned unit names its representative; staff import a whole
 * estate's units from a CSV or XLSX file with a report of the rejected rows.
 */
@Injectable()
export class UnitService {
  private readonly logger = new Logger(UnitService.name);

  constructor(
    private readonly units: UnitRepository,
    private readonly communities: CommunityRepository,
    private readonly users: UserRepository,
    private readonly files: FundFileRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
  ) {}

  private async unitInScope(user: AuthUser, unitId: string) {
    const unit = await this.communities.findUnit(unitId);
    const community = await this.access.requireInScope(user, unit?.community_id, `unit ${unitId}`);
    return { unit: unit!, community };
  }

  async claim(user: AuthUser, unitId: string, relation: 'owner' | 'tenant', file: UploadedDocument | undefined): Promise<UnitClaim> {
    const { unit } = await this.unitInScope(user, unitId);
    if (!file) throw new BadRequestException('a multipart field "file" (the deed, purchase contract or lease) is required');
    const check = checkEvidenceUpload(file.mimetype, file.buffer);
    if (!check.ok) throw new HttpException({ statusCode: check.status, error: check.status === 413 ? 'Payload Too Large' : check.status === 415 ? 'Unsupported Media Type' : 'Bad Request', message: check.message }, check.status);
    const stored = await this.files.store(file.buffer);
    const claimed = await this.units.claim(unit.id, user.id, relation, { sha256: stored.sha256, name: file.originalname.slice(0, 255), contentType: check.contentType });
    if (!claimed) throw new ConflictException(`you hold unit ${unitId} already (verified)`);
    await this.audit.record({ actorId: user.id, action: 'unit.claimed', subjectType: 'unit', subjectId: unit.id, detail: { relation, sha256: stored.sha256 } });
    return this.claimOf(unit.community_id, unit.id, user.id);
  }

  async decide(user: AuthUser, unitId: string, userId: string, dto: UnitClaimDecisionRequest): Promise<UnitClaim> {
    const { unit } = await this.unitInScope(user, unitId);
    const occupant = await this.units.findOccupant(unit.id, userId);
    if (!occupant) throw new NotFoundException(`no claim of user ${userId} to unit ${unitId}`);
    const status = dto.decision === 'verify' ? 'verified' : 'refused';
    if (!(await this.units.decide(unit.id, userId, status, user.id, new Date(this.clock.now()), dto.note ?? null))) {
      throw new ConflictException(`the claim is ${occupant.status}, not pending`);
    }
    await this.audit.record({ actorId: user.id, action: `unit.claim.${status}`, subjectType: 'unit', subjectId: unit.id, detail: { userId, role: user.role, note: dto.note ?? null } });
    return this.claimOf(unit.community_id, unit.id, userId);
  }

  async document(user: AuthUser, unitId: string, userId: string): Promise<{ contentType: string; content: Buffer; fileName: string }> {
    const { unit } = await this.unitInScope(user, unitId);
    const occupant = await this.units.findOccupant(unit.id, userId);
    if (!occupant?.document_sha256) throw new NotFoundException(`no document of user ${userId} for unit ${unitId}`);
    return { contentType: occupant.document_type ?? 'application/octet-stream', content: await this.files.read(occupant.document_sha256), fileName: occupant.document_name ?? occupant.document_sha256 };
  }

  async claims(user: AuthUser, communityId: string, status?: OccupantStatus): Promise<UnitClaim[]> {
    await this.access.requireInScope(user, communityId);
    return (await this.units.claims(communityId, status)).map(mapClaim);
  }

  async setRepresentative(user: AuthUser, unitId: string, userId: string): Promise<UnitClaim> {
    const { unit } = await this.unitInScope(user, unitId);
    if (!(await this.units.setRepresentative(unit.id, userId))) throw new BadRequestException(`user ${userId} is not a verified owner of unit ${unitId}`);
    await this.audit.record({ actorId: user.id, action: 'unit.representative.set', subjectType: 'unit', subjectId: unit.id, detail: { userId } });
    return this.claimOf(unit.community_id, unit.id, userId);
  }

  private async claimOf(communityId: string, unitId: string, userId: string): Promise<UnitClaim> {
    const row = (await this.units.claims(communityId)).find((c) => c.unit_id === unitId && c.user_id === userId);
    if (!row) throw new NotFoundException(`no claim of user ${userId} to unit ${unitId}`);
    return mapClaim(row);
  }

  /**
   * Imports an estate's units (CSV or XLSX): rows failing their schema, repeating a unit of the file or
   * of the community, or naming an owner who is not a user of the community are rejected with
   * their number and reason; the rest are created in one transaction.
   */
  async importUnits(user: AuthUser, communityId: string, file: ImportUpload): Promise<UnitImportResult> {
    const community = await this.access.requireInScope(user, communityId);
    const started = this.clock.monotonic();
    const rows = await parseUnitFile(file).catch((error: unknown) => {
      throw error instanceof ImportFileError ? new BadRequestException(error.message) : error;
    });
    if (rows.length === 0) throw new BadRequestException('the import holds no units');
    if (rows.length > UNIT_IMPORT_MAX_ROWS) throw new BadRequestException(`an import takes at most ${UNIT_IMPORT_MAX_ROWS} units, this one has ${rows.length}`);
    const { valid, rejected } = validateUnitRows(rows);

    const existing = new Set((await this.units.existingUnits(communityId)).map((u) => unitKey(u.building, u.number)));
    const usernames = [...new Set(valid.flatMap((r) => (r.input.owner ? [r.input.owner] : [])))];
    const ids = await this.users.idsByUsername(usernames);
    const members = new Set(await this.access.usersReaching([...ids.values()], community, Permission.ParkingUse));
    const accepted = valid.filter((r) => {
      const { building, number, owner } = r.input;
      if (existing.has(unitKey(building, number))) {
        rejected.push({ row: r.row, reason: `duplicate: ${building} ${number} exists in this community` });
        return false;
      }
      if (owner && !members.has(ids.get(owner) ?? '')) {
        rejected.push({ row: r.row, reason: `owner ${owner} is not a user of this community` });
        return false;
      }
      return true;
    });
    const now = new Date(this.clock.now());
    const done = accepted.length
      ? await this.units.importUnits(
          communityId,
          accepted.map((r) => ({ building: r.input.building, number: r.input.number, floorArea: r.input.floorArea, ...(r.input.owner ? { occupant: { userId: ids.get(r.input.owner)!, relation: r.input.relation } } : {}) })),
          user.id,
          now,
        )
      : { created: 0, buildingsCreated: 0, linked: 0 };
    rejected.sort((a, b) => a.row - b.row);
    const result: UnitImportResult = { rows: rows.length, ...done, rejected, elapsedMs: Math.round(this.clock.monotonic() - started) };
    await this.audit.record({ actorId: user.id, action: 'unit.imported', subjectType: 'community', subjectId: communityId, detail: { rows: result.rows, created: result.created, linked: result.linked, rejected: rejected.length } });
    this.logger.log(`${user.username} imported ${result.created} of ${result.rows} units into ${communityId} (${rejected.length} rejected)`);
    return result;
  }
}

function mapClaim(row: Awaited<ReturnType<UnitRepository['claims']>>[number]): UnitClaim {
  return {
    unitId: row.unit_id,
    building: row.building,
    number: row.number,
    floorArea: row.floor_area,
    userId: row.user_id,
    username: row.username,
    relation: row.relation,
    status: row.status,
    representative: row.representative,
    documentName: row.document_name,
    since: row.created_at.toISOString(),
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
    note: row.decision_note,
  };
}
