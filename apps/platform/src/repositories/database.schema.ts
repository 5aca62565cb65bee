import type { ColumnType, Generated } from 'kysely';

/** Row types of the system of record; kept in step with migrations/. */
export interface CommunityTable {
  id: Generated<string>;
  name: string;
  district: string;
  street: string;
  address: string | null;
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
  buildings: BuildingTable;
  units: UnitTable;
  users: UserTable;
  user_communities: UserCommunityTable;
  devices: DeviceTable;
  audit_log: AuditLogTable;
}
