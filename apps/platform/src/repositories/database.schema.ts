import type { ColumnType, Generated } from 'kysely';
import type { ParkingTables } from './parking.schema';
import type { BillingTables } from './billing.schema';
import type { AlarmTables } from './alarm.schema';
import type { FundTables } from './fund.schema';
import type { BoardTables } from './board.schema';
import type { VoteTables } from './vote.schema';
import type { ComplaintTables } from './complaint.schema';
import type { MaintenanceTables } from './maintenance.schema';
import type { CreditTables } from './credit.schema';
import type { SurveyTables } from './survey.schema';

/** migrations/0009-durable-workflow: a deadline kept in PostgreSQL, one per BullMQ job id. */
export interface WorkflowStepTable {
  job_id: string;
  name: string;
  data: ColumnType<unknown, string, string>;
  due_at: Date;
  priority: number | null;
  created_at: Generated<Date>;
  done_at: Date | null;
  outcome: 'done' | 'cancelled' | null;
}

/** migrations/0009-durable-workflow: work that must follow a committed write. */
export interface OutboxTable {
  id: Generated<string>;
  topic: string;
  key: string;
  payload: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  attempts: Generated<number>;
}

/** Row types of the system of record; kept in step with migrations/. */
export interface CommunityTable {
  id: Generated<string>;
  name: string;
  district: string;
  street: string;
  address: string | null;
  created_at: Generated<Date>;
  /** migrations/0006-statistics: the property company serving the community. */
  property_company_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** migrations/0022-visitor-parking: whether visitors from outside may book its shared slots. */
  visitors_allowed: Generated<boolean>;
}

/** migrations/0022-visitor-parking: a visitor's live one-time code (digest only). */
export interface VisitorCodeTable {
  phone: string;
  code_digest: string;
  expires_at: Date;
  tries: Generated<number>;
  created_at: Generated<Date>;
}

/** migrations/0006-statistics. */
export interface PropertyCompanyTable {
  id: Generated<string>;
  name: string;
  credit_code: string;
  created_at: Generated<Date>;
}

export interface BuildingTable {
  id: Generated<string>;
  community_id: string;
  name: string;
  floors: number | null;
}

export interface UnitTable {
  id: Generated<string>;
  building_id: string;
  community_id: string;
  number: string;
  /** numeric(10,2): read back as a string so money and area maths stay exact. */
  floor_area: ColumnType<string, string, string>;
}

export interface UserTable {
  id: Generated<string>;
  username: string;
  password_hash: string;
  display_name: string | null;
  role: string;
  scope_level: 'platform' | 'community' | 'street' | 'district';
  scope_street: string | null;
  scope_district: string | null;
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
  /** migrations/0008: carried by every access token; bumped to end the user's sessions. */
  token_version: Generated<number>;
  password_changed_at: Date | null;
}

/** migrations/0008: opaque refresh tokens, stored hashed; one family per login. */
export interface RefreshTokenTable {
  id: Generated<string>;
  user_id: string;
  family_id: string;
  token_hash: string;
  created_at: Generated<Date>;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

/** migrations/0008: owners and tenants of a unit. */
export interface UnitOccupantTable {
  unit_id: string;
  user_id: string;
  relation: Generated<'owner' | 'tenant'>;
  created_by: string | null;
  created_at: Generated<Date>;
  /** migrations/0010-unit-verification. */
  status: Generated<'pending' | 'verified' | 'refused'>;
  representative: Generated<boolean>;
  document_sha256: string | null;
  document_name: string | null;
  document_type: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
}

export interface UserCommunityTable {
  user_id: string;
  community_id: string;
}

export interface DeviceTable {
  id: string;
  community_id: string;
  kind: 'elevator' | 'fire' | 'gate';
  subtype: string | null;
  name: string;
  location: string | null;
  building_id: string | null;
  secret_hash: string;
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
  secret_rotated_at: Date | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  detail: ColumnType<Record<string, unknown>, string, string>;
}

export interface Database {
  communities: CommunityTable;
  visitor_codes: VisitorCodeTable;
  buildings: BuildingTable;
  units: UnitTable;
  users: UserTable;
  user_communities: UserCommunityTable;
  refresh_tokens: RefreshTokenTable;
  unit_occupants: UnitOccupantTable;
  devices: DeviceTable;
  audit_log: AuditLogTable;
  alarms: AlarmTables['alarms'];
  alarm_events: AlarmTables['alarm_events'];
  alarm_rule_settings: AlarmTables['alarm_rule_settings'];
  alarm_escalation_chains: AlarmTables['alarm_escalation_chains'];
  alarm_inbox: AlarmTables['alarm_inbox'];
  alarm_notification_prefs: AlarmTables['alarm_notification_prefs'];
  alarm_webhooks: AlarmTables['alarm_webhooks'];
  alarm_photos: AlarmTables['alarm_photos'];
  fund_community_settings: FundTables['fund_community_settings'];
  fund_calendar_days: FundTables['fund_calendar_days'];
  fund_cases: FundTables['fund_cases'];
  fund_case_events: FundTables['fund_case_events'];
  fund_evidence: FundTables['fund_evidence'];
  fund_payments: FundTables['fund_payments'];
  fund_shares: FundTables['fund_shares'];
  parking_slots: ParkingTables['parking_slots'];
  parking_share_windows: ParkingTables['parking_share_windows'];
  parking_bookings: ParkingTables['parking_bookings'];
  parking_vehicles: ParkingTables['parking_vehicles'];
  parking_sessions: ParkingTables['parking_sessions'];
  parking_overstays: ParkingTables['parking_overstays'];
  parking_blocked_plates: ParkingTables['parking_blocked_plates'];
  parking_gate_events: ParkingTables['parking_gate_events'];
  parking_exit_holds: ParkingTables['parking_exit_holds'];
  slot_lotteries: ParkingTables['slot_lotteries'];
  parking_tariffs: BillingTables['parking_tariffs'];
  billing_settings: BillingTables['billing_settings'];
  parking_bills: BillingTables['parking_bills'];
  parking_payments: BillingTables['parking_payments'];
  ledger_accounts: BillingTables['ledger_accounts'];
  journal_entries: BillingTables['journal_entries'];
  journal_lines: BillingTables['journal_lines'];
  online_payment_orders: BillingTables['online_payment_orders'];
  common_income_receipts: BillingTables['common_income_receipts'];
  property_companies: PropertyCompanyTable;
  board_items: BoardTables['board_items'];
  owner_votes: VoteTables['owner_votes'];
  owner_vote_ballots: VoteTables['owner_vote_ballots'];
  owner_vote_reviews: VoteTables['owner_vote_reviews'];
  complaint_settings: ComplaintTables['complaint_settings'];
  complaints: ComplaintTables['complaints'];
  complaint_events: ComplaintTables['complaint_events'];
  complaint_photos: ComplaintTables['complaint_photos'];
  complaint_inbox: ComplaintTables['complaint_inbox'];
  maintenance_plans: MaintenanceTables['maintenance_plans'];
  maintenance_visits: MaintenanceTables['maintenance_visits'];
  maintenance_visit_photos: MaintenanceTables['maintenance_visit_photos'];
  inspection_certificates: MaintenanceTables['inspection_certificates'];
  inspection_certificate_scans: MaintenanceTables['inspection_certificate_scans'];
  credit_weight_sets: CreditTables['credit_weight_sets'];
  credit_assessments: CreditTables['credit_assessments'];
  credit_grades: CreditTables['credit_grades'];
  credit_actions: CreditTables['credit_actions'];
  satisfaction_surveys: SurveyTables['satisfaction_surveys'];
  satisfaction_answers: SurveyTables['satisfaction_answers'];
  workflow_steps: WorkflowStepTable;
  outbox: OutboxTable;
}
