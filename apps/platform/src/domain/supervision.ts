/**
 * Supervision counts: folds the per-kind query results (active alarms by severity, devices with
 * their live online flag, open repair cases with their nearest deadline, open and overdue
 * complaints) into one record per
 * community. Pure: no I/O.
 */
import type { SupervisionCounts } from '@app/contracts';

export interface AlarmCountRow {
  communityId: string;
  severity: number;
  count: number;
}
export interface DeviceOnlineRow {
  communityId: string;
  online: boolean;
}
export interface FundCountRow {
  communityId: string;
  open: number;
  nextDeadline: Date | null;
}

export interface ComplaintCountRow {
  communityId: string;
  open: number;
  overdue: number;
}

export function emptyCounts(): SupervisionCounts {
  return {
    alarms: { total: 0, bySeverity: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } },
    devices: { total: 0, online: 0, offline: 0 },
    fundCases: { open: 0, nextDeadline: null },
    complaints: { open: 0, overdue: 0 },
  };
}

export function foldCounts(communityIds: readonly string[], alarms: readonly AlarmCountRow[], devices: readonly DeviceOnlineRow[], fund: readonly FundCountRow[], complaints: readonly ComplaintCountRow[]): Map<string, SupervisionCounts> {
  const out = new Map<string, SupervisionCounts>();
  for (const id of communityIds) out.set(id, emptyCounts());
  for (const a of alarms) {
    const c = out.get(a.communityId);
    const key = String(a.severity) as keyof SupervisionCounts['alarms']['bySeverity'];
    if (!c || !(key in c.alarms.bySeverity)) continue;
    c.alarms.bySeverity[key] += a.count;
    c.alarms.total += a.count;
  }
  for (const d of devices) {
    const c = out.get(d.communityId);
    if (!c) continue;
    c.devices.total += 1;
    if (d.online) c.devices.online += 1;
    else c.devices.offline += 1;
  }
  for (const f of fund) {
    const c = out.get(f.communityId);
    if (!c) continue;
    c.fundCases.open += f.open;
    if (f.nextDeadline) {
      const iso = f.nextDeadline.toISOString();
      if (c.fundCases.nextDeadline === null || iso < c.fundCases.nextDeadline) c.fundCases.nextDeadline = iso;
    }
  }
  for (const k of complaints) {
    const c = out.get(k.communityId);
    if (!c) continue;
    c.complaints.open += k.open;
    c.complaints.overdue += k.overdue;
  }
  return out;
}

/**
 * Coalesces change notices: mark() is O(1) on the ingestion path; take() hands back the
 * communities marked since the last take, so a flush every second emits each at most once.
 */
export class DirtySet {
  private dirty = new Set<string>();
  mark(communityId: string): void {
    this.dirty.add(communityId);
  }
  take(): string[] {
    if (this.dirty.size === 0) return [];
    const ids = [...this.dirty];
    this.dirty = new Set();
    return ids;
  }
  get size(): number {
    return this.dirty.size;
  }
}
