import { Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import { repeatWindowDays } from '../domain/complaints';
import { DAY_MS, type StatAlarm, type StatBooking, type StatCaseDeadline, type StatComplaint, type StatSharedSlot } from '../domain/service-statistics';
import { DatabaseRepository } from './database.repository';
import type { PropertyCompanyTable } from './database.schema';
import { ParkingRepository } from './parking.repository';

export type PropertyCompanyRow = Selectable<PropertyCompanyTable>;

/** Rows of one community, as the statistics domain functions take them (deadlines filled in by the service). */
export interface CommunityStatRows {
  alarms: Array<Omit<StatAlarm, 'ackWithinS' | 'arrivalWithinS'>>;
  elevatorIds: string[];
  deviceIds: string[];
  caseDeadlines: StatCaseDeadline[];
  sharedSlots: StatSharedSlot[];
  bookings: StatBooking[];
  complaints: StatComplaint[];
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

/** Property companies (migration 0006-statistics) and the recorded rows statistics are computed from. */
@Injectable()
export class StatisticsRepository {
  constructor(
    private readonly database: DatabaseRepository,
    private readonly parking: ParkingRepository,
  ) {}

  private get db() {
    return this.database.db;
  }

  createCompany(name: string, creditCode: string): Promise<PropertyCompanyRow> {
    return this.db.insertInto('property_companies').values({ name, credit_code: creditCode }).returningAll().executeTakeFirstOrThrow();
  }

  findCompany(id: string): Promise<PropertyCompanyRow | undefined> {
    return this.db.selectFrom('property_companies').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listCompanies(): Promise<PropertyCompanyRow[]> {
    return this.db.selectFrom('property_companies').selectAll().orderBy('name').orderBy('id').execute();
  }

  async assignCommunities(companyId: string, communityIds: string[]): Promise<void> {
    if (communityIds.length === 0) return;
    await this.db.updateTable('communities').set({ property_company_id: companyId }).where('id', 'in', communityIds).execute();
  }

  /** Communities (id, district, street, company) among `ids`. */
  communities(ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('communities').select(['id', 'name', 'district', 'street', 'property_company_id']).where('id', 'in', ids).orderBy('name').execute();
  }

  /** Everything the figures of `communityId` over [from, to) need. */
  async rows(communityId: string, from: Date, to: Date): Promise<CommunityStatRows> {
    const devices = await this.db.selectFrom('devices').select(['id', 'kind']).where('community_id', '=', communityId).where('disabled', '=', false).execute();
    const kindOf = new Map(devices.map((d) => [d.id, d.kind]));
    const alarms = await this.db
      .selectFrom('alarms')
      .select(['device_id', 'type', 'severity', 'first_at', 'acknowledged_at', 'arrived_at', 'cleared_at'])
      .where('community_id', '=', communityId)
      .where('first_at', '<', to)
      .where((eb) => eb.or([eb('first_at', '>=', from), eb.and([eb('type', '=', 'offline'), eb.or([eb('cleared_at', 'is', null), eb('cleared_at', '>', from)])])]))
      .execute();
    const cases = await this.db
      .selectFrom('fund_cases')
      .select(['id', 'review_deadline'])
      .where('community_id', '=', communityId)
      .where('review_deadline', '>=', from)
      .where('review_deadline', '<', to)
      .execute();
    const decisions = cases.length === 0
      ? []
      : await this.db
          .selectFrom('fund_case_events')
          .select(['case_id', 'at'])
          .where('case_id', 'in', cases.map((c) => c.id))
          .where('from_state', '=', 'confirmed')
          .where('action', 'in', ['approve', 'reject'])
          .orderBy('at')
          .execute();
    const slots = await this.db
      .selectFrom('parking_slots')
      .selectAll()
      .where('community_id', '=', communityId)
      .where('shareable', '=', true)
      .where('fire_lane', '=', false)
      .execute();
    const availability = await this.parking.availability(slots);
    const bookings = await this.db
      .selectFrom('parking_bookings')
      .select(['slot_id', 'starts_at', 'ends_at'])
      .where('community_id', '=', communityId)
      .where('status', 'in', ['booked', 'active', 'completed', 'no_show'])
      .where('starts_at', '<', to)
      .where('ends_at', '>', from)
      .execute();
    // Items filed up to the repeat window before the period too: they tell whether one inside it is a repeat.
    const complaints = await this.db
      .selectFrom('complaints')
      .select(['filed_by', 'category', 'filed_at', 'responded_at', 'resolved_at', 'state', 'level', 'deadline', 'satisfaction', 'reopened'])
      .where('community_id', '=', communityId)
      .where('filed_at', '>=', new Date(from.getTime() - repeatWindowDays * DAY_MS))
      .where('filed_at', '<', to)
      .execute();
    return {
      complaints: complaints.map((c) => ({
        filedBy: c.filed_by,
        category: c.category,
        filedAt: ms(c.filed_at)!,
        respondedAt: ms(c.responded_at),
        resolvedAt: ms(c.resolved_at),
        state: c.state as StatComplaint['state'],
        level: c.level,
        deadline: ms(c.deadline)!,
        satisfaction: c.satisfaction,
        reopened: c.reopened,
      })),
      alarms: alarms.map((a) => ({
        deviceId: a.device_id,
        deviceKind: kindOf.get(a.device_id) ?? 'gate',
        type: a.type,
        severity: a.severity,
        raisedAt: ms(a.first_at)!,
        acknowledgedAt: ms(a.acknowledged_at),
        arrivedAt: ms(a.arrived_at),
        clearedAt: ms(a.cleared_at),
      })),
      elevatorIds: devices.filter((d) => d.kind === 'elevator').map((d) => d.id),
      deviceIds: devices.map((d) => d.id),
      caseDeadlines: cases.map((c) => ({ caseId: c.id, kind: 'review', deadline: ms(c.review_deadline)!, doneAt: ms(decisions.find((d) => d.case_id === c.id)?.at ?? null) })),
      sharedSlots: slots.map((s) => ({ slotId: s.id, availability: availability.get(s.id)! })),
      bookings: bookings.map((b) => ({ slotId: b.slot_id, startsAt: ms(b.starts_at)!, endsAt: ms(b.ends_at)! })),
    };
  }
}
