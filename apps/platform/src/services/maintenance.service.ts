import { BadRequestException, Injectable, NotFoundException, OnModuleInit } from '@nestjs/common';
import type { InspectionCertificateRequest, MaintenancePlanRequest, MaintenanceVisitKind, MaintenanceVisitRequest } from '@app/contracts';
import { hasRole, type PlatformConfig } from '../config/config';
import { InjectConfig } from '../config/config.provider';
import { AlarmType } from '../domain/alarm-types';
import { certificateMissing, certificateStatus, dueItems, kindsOf, visitItems, type CertificateStatus, type PlanRegime, type VisitKind } from '../domain/maintenance-schedule';
import { localDate, startOfLocalDay } from '../domain/business-time';
import { addDays } from '../domain/working-days';
import { AlarmRepository } from '../repositories/alarm.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { DeviceRepository, type DeviceRow } from '../repositories/device.repository';
import { FundFileRepository } from '../repositories/fund.repository';
import { MaintenanceRepository, type CertificateScanRow, type InspectionCertificateRow, type MaintenancePlanRow, type MaintenanceVisitPhotoRow, type MaintenanceVisitRow } from '../repositories/maintenance.repository';
import { AccessService } from './access.service';
import { AlarmService } from './alarm.service';
import type { AuthUser } from './auth-user';
import { SingletonDutyService } from './singleton-duty.service';
import { attachmentColumns, readAttachment, storeCheckedUpload, type UploadedFileLike } from './uploads';

/** The board shows at most this many records per section (the section schema's limit), newest first. */
const BOARD_MAX_RECORDS = 500;

/** A device kind's regime: elevators under TSG T5002, fire equipment under GB 25201; gates have none. */
const regimeOf = (kind: DeviceRow['kind']): PlanRegime | null => (kind === 'elevator' ? 'tsg_t5002' : kind === 'fire' ? 'gb_25201' : null);

/**
 * Maintenance plans and inspections (issue 12 §4). What is due is computed from the plan, the
 * recorded visits and the clock (domain/maintenance-schedule.ts); a sweep, run by one process of
 * the cluster under a lease (SingletonDutyService), raises maintenance_overdue and
 * certificate_expiring / certificate_expired through the alarm lifecycle and clears them when the
 * condition ends. It keeps no state of its own, so a restart or another process taking the lease
 * over simply sweeps again; recording a visit re-checks its device at once.
 */
@Injectable()
export class MaintenanceService implements OnModuleInit {
  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: MaintenanceRepository,
    private readonly devices: DeviceRepository,
    private readonly access: AccessService,
    private readonly alarms: AlarmService,
    private readonly alarmRows: AlarmRepository,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly duties: SingletonDutyService,
    private readonly files: FundFileRepository,
  ) {}

  onModuleInit(): void {
    if (hasRole(this.config, 'worker')) this.duties.register({ name: 'maintenance-sweep', everyMs: this.config.maintenance.sweepMs, run: () => this.sweep() });
  }

  /** Every plan of the platform, checked against the clock. */
  async sweep(): Promise<void> {
    for (const plan of await this.repo.plans()) await this.check(plan);
  }

  async setPlan(user: AuthUser, deviceId: string, dto: MaintenancePlanRequest) {
    const device = await this.deviceInScope(user, deviceId);
    const regime = regimeOf(device.kind);
    if (!regime) throw new BadRequestException(`a ${device.kind} device has no maintenance plan`);
    const now = new Date(this.clock.now());
    const plan = await this.repo.upsertPlan({
      device_id: device.id,
      community_id: device.community_id,
      regime,
      company: dto.company,
      company_phone: dto.companyPhone,
      started_at: new Date(dto.startedAt),
      created_by: user.id,
      created_at: now,
    });
    await this.audit.record({ actorId: user.id, action: 'maintenance.plan.set', subjectType: 'device', subjectId: device.id, detail: { regime, company: dto.company, startedAt: dto.startedAt } });
    await this.check(plan);
    return this.view(plan, device);
  }

  async plans(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const plans = await this.repo.plans(communityId);
    return Promise.all(plans.map(async (p) => this.view(p, (await this.devices.findById(p.device_id))!)));
  }

  async recordVisit(user: AuthUser, deviceId: string, dto: MaintenanceVisitRequest) {
    const { plan } = await this.planInScope(user, deviceId);
    if (!kindsOf(plan.regime).includes(dto.kind)) throw new BadRequestException(`a ${dto.kind} visit is not part of a ${plan.regime} plan`);
    const now = this.clock.now();
    if (Date.parse(dto.visitedAt) > now) throw new BadRequestException('visitedAt is in the future');
    const row = await this.repo.addVisit({
      device_id: plan.device_id,
      community_id: plan.community_id,
      kind: dto.kind,
      visited_at: new Date(dto.visitedAt),
      worker: dto.worker,
      items: JSON.stringify(dto.items),
      note: dto.note ?? null,
      cost_fen: dto.costFen,
      recorded_by: user.id,
      recorded_at: new Date(now),
    });
    await this.audit.record({ actorId: user.id, action: 'maintenance.visit.recorded', subjectType: 'device', subjectId: plan.device_id, detail: { visitId: row.id, kind: dto.kind, visitedAt: dto.visitedAt } });
    await this.check(plan, user.id);
    return mapVisit(row, []);
  }

  async visits(user: AuthUser, deviceId: string) {
    await this.planInScope(user, deviceId);
    const visits = await this.repo.visits({ deviceId });
    const photos = await this.repo.photos(visits.map((v) => v.id));
    return visits.map((v) => mapVisit(v, photos.filter((p) => p.visit_id === v.id)));
  }

  /** A photo of a visit, checked and stored like the fund's evidence uploads (allow-listed types, checked against the file's first bytes). */
  async addPhoto(user: AuthUser, deviceId: string, visitId: string, file: UploadedFileLike | undefined) {
    const visit = await this.visitInScope(user, deviceId, visitId);
    const stored = await storeCheckedUpload(this.files, file);
    const photo = await this.repo.addPhoto({ visit_id: visit.id, ...attachmentColumns(stored, user.id, new Date(this.clock.now())) });
    await this.audit.record({ actorId: user.id, action: 'maintenance.visit.photo_added', subjectType: 'device', subjectId: visit.device_id, detail: { visitId: visit.id, photoId: photo.id, sha256: stored.sha256 } });
    return mapVisit(visit, await this.repo.photos([visit.id]));
  }

  async readPhoto(user: AuthUser, deviceId: string, visitId: string, photoId: string): Promise<{ contentType: string; content: Buffer; fileName: string }> {
    const visit = await this.visitInScope(user, deviceId, visitId);
    const photo = (await this.repo.photos([visit.id])).find((p) => p.id === photoId);
    if (!photo) throw new NotFoundException(`photo ${photoId} not found`);
    return readAttachment(this.files, photo);
  }

  private async visitInScope(user: AuthUser, deviceId: string, visitId: string): Promise<MaintenanceVisitRow> {
    await this.planInScope(user, deviceId);
    const visit = await this.repo.findVisit(visitId);
    if (!visit || visit.device_id !== deviceId) throw new NotFoundException(`visit ${visitId} not found`);
    return visit;
  }

  async recordCertificate(user: AuthUser, deviceId: string, dto: InspectionCertificateRequest) {
    const { plan } = await this.planInScope(user, deviceId);
    const row = await this.repo.addCertificate({
      device_id: plan.device_id,
      community_id: plan.community_id,
      agency: dto.agency,
      certificate_no: dto.certificateNo ?? null,
      result: dto.result,
      inspected_on: dto.inspectedOn,
      expires_on: dto.expiresOn,
      recorded_by: user.id,
      recorded_at: new Date(this.clock.now()),
    });
    await this.audit.record({ actorId: user.id, action: 'maintenance.certificate.recorded', subjectType: 'device', subjectId: plan.device_id, detail: { certificateId: row.id, expiresOn: dto.expiresOn } });
    await this.check(plan, user.id);
    return mapCertificate(row, []);
  }

  async certificates(user: AuthUser, deviceId: string) {
    await this.planInScope(user, deviceId);
    const certificates = await this.repo.certificates({ deviceId });
    const scans = await this.repo.scans(certificates.map((c) => c.id));
    return certificates.map((c) => mapCertificate(c, scans.filter((s) => s.certificate_id === c.id)));
  }

  /** The scan of a certificate (证书扫描件), checked and stored like a visit's photo. */
  async addScan(user: AuthUser, deviceId: string, certificateId: string, file: UploadedFileLike | undefined) {
    const certificate = await this.certificateInScope(user, deviceId, certificateId);
    const stored = await storeCheckedUpload(this.files, file);
    const scan = await this.repo.addScan({ certificate_id: certificate.id, ...attachmentColumns(stored, user.id, new Date(this.clock.now())) });
    await this.audit.record({ actorId: user.id, action: 'maintenance.certificate.scan_added', subjectType: 'device', subjectId: certificate.device_id, detail: { certificateId: certificate.id, scanId: scan.id, sha256: stored.sha256 } });
    return mapCertificate(certificate, await this.repo.scans([certificate.id]));
  }

  async readScan(user: AuthUser, deviceId: string, certificateId: string, scanId: string): Promise<{ contentType: string; content: Buffer; fileName: string }> {
    const certificate = await this.certificateInScope(user, deviceId, certificateId);
    const scan = (await this.repo.scans([certificate.id])).find((s) => s.id === scanId);
    if (!scan) throw new NotFoundException(`scan ${scanId} not found`);
    return readAttachment(this.files, scan);
  }

  private async certificateInScope(user: AuthUser, deviceId: string, certificateId: string): Promise<InspectionCertificateRow> {
    await this.planInScope(user, deviceId);
    const certificate = await this.repo.findCertificate(certificateId);
    if (!certificate || certificate.device_id !== deviceId) throw new NotFoundException(`certificate ${certificateId} not found`);
    return certificate;
  }

  /**
   * The board's elevator sections, filled from the records (not typed in), in the shapes of
   * elevatorMaintenanceRecordsSchema / elevatorInspectionRecordsSchema; null while there are none.
   * Version: the number of records (grows with each one); last updated: the newest record.
   */
  async boardSections(communityId: string) {
    const plans = (await this.repo.plans(communityId)).filter((p) => p.regime === 'tsg_t5002');
    if (plans.length === 0) return { elevator_maintenance_records: null, elevator_inspection_records: null };
    const elevators = new Map<string, { plan: MaintenancePlanRow; name: string }>();
    for (const plan of plans) elevators.set(plan.device_id, { plan, name: (await this.devices.findById(plan.device_id))?.name ?? plan.device_id });
    const [visits, certificates] = await Promise.all([this.repo.visits({ communityId }), this.repo.certificates({ communityId })]);
    const elevatorVisits = visits.filter((v) => elevators.has(v.device_id)).slice(0, BOARD_MAX_RECORDS);
    const elevatorCertificates = certificates.filter((c) => elevators.has(c.device_id)).slice(0, BOARD_MAX_RECORDS);
    const newest = (rows: Array<{ recorded_at: Date }>) => new Date(Math.max(...rows.map((r) => r.recorded_at.getTime()))).toISOString();
    const companies = [...new Set(plans.map((p) => p.company))];
    return {
      elevator_maintenance_records: elevatorVisits.length
        ? {
            version: elevatorVisits.length,
            lastUpdated: newest(elevatorVisits),
            source: 'records' as const,
            content: {
              maintainer: companies.join('、'),
              maintainerPhone: plans[0].company_phone,
              records: elevatorVisits.map((v) => ({
                elevator: elevators.get(v.device_id)!.name,
                date: localDate(v.visited_at.getTime(), this.config.timeZone),
                kind: v.kind,
                content: v.items.join('；'),
                costFen: Number(v.cost_fen),
                signedBy: v.worker,
                company: elevators.get(v.device_id)!.plan.company,
              })),
            },
          }
        : null,
      elevator_inspection_records: elevatorCertificates.length
        ? {
            version: elevatorCertificates.length,
            lastUpdated: newest(elevatorCertificates),
            source: 'records' as const,
            content: {
              records: elevatorCertificates.map((c) => ({
                elevator: elevators.get(c.device_id)!.name,
                agency: c.agency,
                inspectedOn: c.inspected_on,
                result: c.result,
                certificateNo: c.certificate_no ?? undefined,
                nextDueOn: c.expires_on,
              })),
            },
          }
        : null,
    };
  }

  /** Raises or clears the device's maintenance alarms to match what is due now. */
  private async check(plan: MaintenancePlanRow, actorId: string | null = null): Promise<void> {
    const now = this.clock.now();
    const [visits, certificates] = await Promise.all([this.repo.visits({ deviceId: plan.device_id }), this.repo.certificates({ deviceId: plan.device_id })]);
    const overdue = dueItems(plan.regime, plan.started_at.getTime(), visits.map(toVisitDone), now).filter((i) => i.overdue);
    await this.hold(plan, AlarmType.MaintenanceOverdue, overdue.length > 0, { kinds: overdue.map((i) => i.kind), dueAt: overdue.map((i) => new Date(i.dueAt).toISOString()) }, actorId, 'visit recorded');
    const status = this.certificateStatusOf(certificates[0], now);
    const expiresOn = certificates[0]?.expires_on ?? null;
    await this.hold(plan, AlarmType.CertificateExpiring, status === 'expiring', { expiresOn }, actorId, 'certificate renewed');
    await this.hold(plan, AlarmType.CertificateExpired, status === 'expired', { expiresOn }, actorId, 'certificate renewed');
    // An elevator must have a certificate on record once its grace period after registration has run out (fire equipment has its yearly test instead).
    const registeredAt = plan.regime === 'tsg_t5002' ? (await this.devices.findById(plan.device_id))?.created_at.getTime() : undefined;
    const missing = registeredAt !== undefined && certificateMissing(registeredAt, certificates.length > 0, now);
    await this.hold(plan, AlarmType.CertificateMissing, missing, { registeredAt: registeredAt === undefined ? null : new Date(registeredAt).toISOString() }, actorId, 'certificate recorded');
  }

  /** One open alarm while the condition holds: raised once (not repeated every sweep), cleared when it ends. */
  private async hold(plan: MaintenancePlanRow, type: string, active: boolean, detail: Record<string, unknown>, actorId: string | null, reason: string): Promise<void> {
    const open = await this.alarmRows.findOpen(plan.device_id, type);
    if (active && !open) {
      await this.alarms.raise({ communityId: plan.community_id, deviceId: plan.device_id, type, severity: this.alarms.severityOf(type), source: 'platform', ts: this.clock.now(), detail });
    } else if (!active && open) {
      await this.alarms.clearByDevice(plan.device_id, type, actorId, reason);
    }
  }

  /** The newest inspection's certificate counts; it expires at the end of its expiry day in the business time zone. */
  private certificateStatusOf(latest: InspectionCertificateRow | undefined, now: number): CertificateStatus {
    return certificateStatus(latest ? startOfLocalDay(addDays(latest.expires_on, 1), this.config.timeZone) : null, now);
  }

  private async view(plan: MaintenancePlanRow, device: DeviceRow) {
    const now = this.clock.now();
    const [visits, certificates] = await Promise.all([this.repo.visits({ deviceId: plan.device_id }), this.repo.certificates({ deviceId: plan.device_id })]);
    return {
      deviceId: plan.device_id,
      communityId: plan.community_id,
      deviceName: device.name,
      regime: plan.regime,
      company: plan.company,
      companyPhone: plan.company_phone,
      startedAt: plan.started_at.toISOString(),
      due: dueItems(plan.regime, plan.started_at.getTime(), visits.map(toVisitDone), now).map((i) => ({
        kind: i.kind,
        lastAt: i.lastAt === null ? null : new Date(i.lastAt).toISOString(),
        dueAt: new Date(i.dueAt).toISOString(),
        overdue: i.overdue,
        items: [...visitItems[i.kind]],
      })),
      certificate: { status: this.certificateStatusOf(certificates[0], now), expiresOn: certificates[0]?.expires_on ?? null },
    };
  }

  private async deviceInScope(user: AuthUser, deviceId: string): Promise<DeviceRow> {
    const device = await this.devices.findById(deviceId);
    await this.access.requireInScope(user, device?.community_id, `device ${deviceId}`);
    return device!;
  }

  private async planInScope(user: AuthUser, deviceId: string): Promise<{ device: DeviceRow; plan: MaintenancePlanRow }> {
    const device = await this.deviceInScope(user, deviceId);
    const plan = await this.repo.findPlan(deviceId);
    if (!plan) throw new BadRequestException(`device ${deviceId} has no maintenance plan`);
    return { device, plan };
  }
}

const toVisitDone = (v: MaintenanceVisitRow) => ({ kind: v.kind as VisitKind, at: v.visited_at.getTime() });

function mapVisit(v: MaintenanceVisitRow, photos: MaintenanceVisitPhotoRow[]) {
  return {
    id: v.id,
    deviceId: v.device_id,
    communityId: v.community_id,
    kind: v.kind as MaintenanceVisitKind,
    visitedAt: v.visited_at.toISOString(),
    worker: v.worker,
    items: v.items,
    note: v.note,
    costFen: Number(v.cost_fen),
    photos: photos.map((p) => ({ id: p.id, fileName: p.file_name, contentType: p.content_type, sizeBytes: p.size_bytes, createdAt: p.created_at.toISOString() })),
    recordedBy: v.recorded_by,
    recordedAt: v.recorded_at.toISOString(),
  };
}

function mapCertificate(c: InspectionCertificateRow, scans: CertificateScanRow[]) {
  return {
    id: c.id,
    deviceId: c.device_id,
    communityId: c.community_id,
    agency: c.agency,
    certificateNo: c.certificate_no,
    result: c.result,
    inspectedOn: c.inspected_on,
    expiresOn: c.expires_on,
    scans: scans.map((s) => ({ id: s.id, fileName: s.file_name, contentType: s.content_type, sizeBytes: s.size_bytes, createdAt: s.created_at.toISOString() })),
    recordedAt: c.recorded_at.toISOString(),
  };
}
