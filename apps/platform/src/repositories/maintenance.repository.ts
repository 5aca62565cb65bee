import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { MaintenanceTables } from './maintenance.schema';

export type MaintenancePlanRow = Selectable<MaintenanceTables['maintenance_plans']>;
export type MaintenanceVisitRow = Selectable<MaintenanceTables['maintenance_visits']>;
export type MaintenanceVisitPhotoRow = Selectable<MaintenanceTables['maintenance_visit_photos']>;
export type InspectionCertificateRow = Selectable<MaintenanceTables['inspection_certificates']>;
export type CertificateScanRow = Selectable<MaintenanceTables['inspection_certificate_scans']>;

const certificateColumns = [
  'id',
  'device_id',
  'community_id',
  'agency',
  'certificate_no',
  'result',
  sql<string>`to_char(inspected_on, 'YYYY-MM-DD')`.as('inspected_on'),
  sql<string>`to_char(expires_on, 'YYYY-MM-DD')`.as('expires_on'),
  'recorded_by',
  'recorded_at',
] as const;

/** Maintenance plans, recorded visits and inspection certificates (migrations 0013, 0015). Visits and certificates are never changed; photos and scans are added to them. */
@Injectable()
export class MaintenanceRepository {
  constructor(private readonly database: DatabaseRepository) {}

  /** Creates or replaces a device's plan (the company or the start date changed). */
  async upsertPlan(values: Insertable<MaintenanceTables['maintenance_plans']>): Promise<MaintenancePlanRow> {
    return this.database.db
      .insertInto('maintenance_plans')
      .values(values)
      .onConflict((oc) => oc.column('device_id').doUpdateSet({ regime: values.regime, company: values.company, company_phone: values.company_phone, started_at: values.started_at }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findPlan(deviceId: string): Promise<MaintenancePlanRow | undefined> {
    return this.database.db.selectFrom('maintenance_plans').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
  }

  /** Plans of one community, or of all (the sweep). */
  plans(communityId?: string): Promise<MaintenancePlanRow[]> {
    let q = this.database.db.selectFrom('maintenance_plans').selectAll();
    if (communityId) q = q.where('community_id', '=', communityId);
    return q.orderBy('device_id').execute();
  }

  addVisit(values: Insertable<MaintenanceTables['maintenance_visits']>): Promise<MaintenanceVisitRow> {
    return this.database.db.insertInto('maintenance_visits').values(values).returningAll().executeTakeFirstOrThrow();
  }

  /** Visits of a community (or one device), newest first. */
  visits(filter: { communityId?: string; deviceId?: string }): Promise<MaintenanceVisitRow[]> {
    let q = this.database.db.selectFrom('maintenance_visits').selectAll();
    if (filter.communityId) q = q.where('community_id', '=', filter.communityId);
    if (filter.deviceId) q = q.where('device_id', '=', filter.deviceId);
    return q.orderBy('visited_at', 'desc').execute();
  }

  findVisit(id: string): Promise<MaintenanceVisitRow | undefined> {
    return this.database.db.selectFrom('maintenance_visits').selectAll().where('id', '=', id).executeTakeFirst();
  }

  addPhoto(values: Insertable<MaintenanceTables['maintenance_visit_photos']>): Promise<MaintenanceVisitPhotoRow> {
    return this.database.db.insertInto('maintenance_visit_photos').values(values).returningAll().executeTakeFirstOrThrow();
  }

  /** Photos of the given visits, oldest first. */
  photos(visitIds: string[]): Promise<MaintenanceVisitPhotoRow[]> {
    if (visitIds.length === 0) return Promise.resolve([]);
    return this.database.db.selectFrom('maintenance_visit_photos').selectAll().where('visit_id', 'in', visitIds).orderBy('created_at').execute();
  }

  async addCertificate(values: Insertable<MaintenanceTables['inspection_certificates']>): Promise<InspectionCertificateRow> {
    const { id } = await this.database.db.insertInto('inspection_certificates').values(values).returning('id').executeTakeFirstOrThrow();
    return this.database.db.selectFrom('inspection_certificates').select(certificateColumns).where('id', '=', id).executeTakeFirstOrThrow();
  }

  /** Certificates of a community (or one device), newest inspection first. */
  certificates(filter: { communityId?: string; deviceId?: string }): Promise<InspectionCertificateRow[]> {
    let q = this.database.db.selectFrom('inspection_certificates').select(certificateColumns);
    if (filter.communityId) q = q.where('community_id', '=', filter.communityId);
    if (filter.deviceId) q = q.where('device_id', '=', filter.deviceId);
    return q.orderBy('inspected_on', 'desc').orderBy('recorded_at', 'desc').execute();
  }

  findCertificate(id: string): Promise<InspectionCertificateRow | undefined> {
    return this.database.db.selectFrom('inspection_certificates').select(certificateColumns).where('id', '=', id).executeTakeFirst();
  }

  addScan(values: Insertable<MaintenanceTables['inspection_certificate_scans']>): Promise<CertificateScanRow> {
    return this.database.db.insertInto('inspection_certificate_scans').values(values).returningAll().executeTakeFirstOrThrow();
  }

  /** Scans of the given certificates, oldest first. */
  scans(certificateIds: string[]): Promise<CertificateScanRow[]> {
    if (certificateIds.length === 0) return Promise.resolve([]);
    return this.database.db.selectFrom('inspection_certificate_scans').selectAll().where('certificate_id', 'in', certificateIds).orderBy('created_at').execute();
  }
}
