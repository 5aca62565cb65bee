import type { ComplaintCategory, ComplaintLevel, ComplaintState, Role } from '@app/contracts';
import { complaintLevels } from '@app/contracts';

/**
 * Complaints and repair requests (接诉即办). The property company answers first; an item still
 * unresolved at its deadline, or reopened by the person who filed it, goes up one level:
 * residents' committee, street (which may keep it on its ledger, 挂账督办), district.
 * Sources: 003_e395e48efd5a119e.txt (四)4 "一般问题不出社区、简单问题不出街道(乡镇)、重大问题不出区县"
 * (the order of levels); 001_187fc5f9dc35b825.txt 三(一)2 "完善'接诉即办'工作机制 … 建立台账，挂账督办"
 * (the street's ledger); 000_b6cb39b17699b902.txt 第五部分 (the street verifies on site first and
 * takes what it cannot settle to the district's joint meeting); 004_592cdd860f3d4a71.txt 三(二)2
 * "建立服务投诉快速处理机制" and 三(二)5 "智慧派单、智慧监督" (deadlines and supervision).
 * The seeds give no hours: the defaults below are the platform's, configurable per community.
 */

const HOUR = 3_600_000;

/** Hours the property company has to resolve an item of each category (urgent repairs: the same day). */
export const defaultResolveHours: Readonly<Record<ComplaintCategory, number>> = {
  repair_urgent: 4,
  repair: 72,
  environment: 48,
  security: 24,
  parking: 48,
  fees: 120,
  service: 72,
  other: 72,
};

/** Hours each supervising level has before the item goes further up. */
export const defaultLevelHours: Readonly<Record<Exclude<ComplaintLevel, 'property'>, number>> = {
  residents_committee: 72,
  street: 120,
  district: 240,
};

/** How long the street's ledger (挂账督办) holds an item before the district is told: 30 days. */
export const defaultLedgerHours = 720;

/** A filer may reopen a resolved item within this many days; afterwards it is a new complaint. */
export const reopenWindowDays = 7;

/** A complaint of the same filer and category within this many days of an earlier one is a repeat. */
export const repeatWindowDays = 30;

export interface ComplaintDeadlineSettings {
  resolveHours: Partial<Record<ComplaintCategory, number>>;
  levelHours: Partial<Record<Exclude<ComplaintLevel, 'property'>, number>>;
  ledgerHours?: number;
}

/** The deadline of an item arriving at a level (ms since the epoch). */
export function levelDeadline(level: ComplaintLevel, category: ComplaintCategory, from: number, settings?: ComplaintDeadlineSettings): number {
  const hours = level === 'property' ? (settings?.resolveHours[category] ?? defaultResolveHours[category]) : (settings?.levelHours[level] ?? defaultLevelHours[level]);
  return from + hours * HOUR;
}

export function nextLevel(level: ComplaintLevel): ComplaintLevel | null {
  const i = complaintLevels.indexOf(level);
  return i < complaintLevels.length - 1 ? complaintLevels[i + 1] : null;
}

/** The role that supervises an item at each level above the property company. */
export const levelRole: Readonly<Record<ComplaintLevel, Role>> = {
  property: 'property_staff',
  residents_committee: 'residents_committee',
  street: 'street_officer',
  district: 'district_authority',
};

export interface ComplaintSnapshot {
  state: ComplaintState;
  level: ComplaintLevel;
  category: ComplaintCategory;
  filedBy: string;
  deadline: number;
  onLedger: boolean;
  resolvedAt: number | null;
}

export type ComplaintCommand =
  | { action: 'respond'; note: string }
  | { action: 'resolve'; note: string }
  | { action: 'ledger'; note: string }
  | { action: 'reopen'; note: string }
  | { action: 'rate'; satisfaction: number; note?: string };

export interface ComplaintActor {
  userId: string;
  role: Role;
}

export type ComplaintTransition =
  | { ok: true; next: ComplaintSnapshot; escalatedTo?: ComplaintLevel }
  | { ok: false; status: 403 | 409; message: string };

/** Which roles may act on an item at a level: the property company always, each supervisor from its own level on. */
function handlesAt(role: Role, level: ComplaintLevel): boolean {
  if (role === 'property_staff' || role === 'platform_admin') return true;
  const own = complaintLevels.find((l) => levelRole[l] === role);
  return own !== undefined && own !== 'property' && complaintLevels.indexOf(own) <= complaintLevels.indexOf(level);
}

/** One action on an item, decided on the item and the clock alone. */
export function complaintTransition(s: ComplaintSnapshot, actor: ComplaintActor, command: ComplaintCommand, now: number, settings?: ComplaintDeadlineSettings): ComplaintTransition {
  const refuse = (status: 403 | 409, message: string): ComplaintTransition => ({ ok: false, status, message });
  const own = actor.userId === s.filedBy;
  switch (command.action) {
    case 'respond':
    case 'resolve':
      if (!handlesAt(actor.role, s.level)) return refuse(403, `a ${actor.role} cannot ${command.action} an item at the ${s.level} level`);
      if (s.state !== 'open') return refuse(409, `the item is ${s.state}`);
      return { ok: true, next: command.action === 'resolve' ? { ...s, state: 'resolved', resolvedAt: now } : s };
    case 'ledger':
      if (actor.role !== 'street_officer') return refuse(403, 'only the street keeps items on its ledger');
      if (s.state !== 'open' || s.level !== 'street') return refuse(409, 'only an open item at the street level can be put on the ledger');
      if (s.onLedger) return refuse(409, 'the item is already on the ledger');
      return { ok: true, next: { ...s, onLedger: true, deadline: now + (settings?.ledgerHours ?? defaultLedgerHours) * HOUR } };
    case 'reopen': {
      if (!own) return refuse(403, 'only the person who filed it may reopen it');
      if (s.state !== 'resolved' || s.resolvedAt === null) return refuse(409, `the item is ${s.state}`);
      if (now - s.resolvedAt > reopenWindowDays * 24 * HOUR) return refuse(409, `reopening is possible for ${reopenWindowDays} days after resolution; file a new complaint`);
      const to = nextLevel(s.level) ?? s.level;
      return { ok: true, next: { ...s, state: 'open', level: to, resolvedAt: null, deadline: levelDeadline(to, s.category, now, settings) }, escalatedTo: to };
    }
    case 'rate':
      if (!own) return refuse(403, 'only the person who filed it rates the result');
      if (s.state !== 'resolved') return refuse(409, `the item is ${s.state}`);
      return { ok: true, next: { ...s, state: 'closed' } };
  }
}

const probes: readonly ComplaintCommand[] = [
  { action: 'respond', note: '-' },
  { action: 'resolve', note: '-' },
  { action: 'ledger', note: '-' },
  { action: 'reopen', note: '-' },
  { action: 'rate', satisfaction: 5 },
];

/** The actions complaintTransition would accept from this actor now: what a desk offers (the state machine's own answer, not a copy of it). */
export function availableComplaintActions(s: ComplaintSnapshot, actor: ComplaintActor, now: number): Array<ComplaintCommand['action']> {
  return probes.filter((command) => complaintTransition(s, actor, command, now).ok).map((c) => c.action);
}

export type DeadlineDecision = { kind: 'none' } | { kind: 'wait'; until: number } | { kind: 'escalate'; to: ComplaintLevel; deadline: number } | { kind: 'overdue' };

/**
 * A deadline timer fired for an item at `level` with `deadline`: decide with the clock. Stale
 * timers (the item moved on, was resolved, or got a new deadline) do nothing; an early one waits.
 * At the district there is no higher level: the item stays overdue on the supervision page.
 */
export function decideDeadline(s: ComplaintSnapshot, timer: { level: ComplaintLevel; deadline: number }, now: number, settings?: ComplaintDeadlineSettings): DeadlineDecision {
  if (s.state !== 'open' || s.level !== timer.level || s.deadline !== timer.deadline) return { kind: 'none' };
  if (now < s.deadline) return { kind: 'wait', until: s.deadline };
  const to = nextLevel(s.level);
  if (to === null) return { kind: 'overdue' };
  return { kind: 'escalate', to, deadline: levelDeadline(to, s.category, now, settings) };
}

export interface ComplaintFact {
  communityId: string;
  filedBy: string;
  category: ComplaintCategory;
  state: ComplaintState;
  filedAt: number;
  respondedAt: number | null;
  resolvedAt: number | null;
  deadline: number;
  satisfaction: number | null;
  reopened: number;
}

export interface ComplaintStatistics {
  count: number;
  open: number;
  overdue: number;
  reopened: number;
  repeat: number;
  avgResponseMinutes: number | null;
  avgResolutionMinutes: number | null;
  rated: number;
  avgSatisfaction: number | null;
}

const mean = (values: number[]): number | null => (values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10);

/**
 * Figures per community: how many, how many still open and past their deadline, response and
 * resolution times (from filing), satisfaction, reopened items, and repeats (the same filer and
 * category again within `repeatWindowDays` of an earlier item: the problem was not really solved).
 */
export function complaintStatistics(facts: readonly ComplaintFact[], now: number): Map<string, ComplaintStatistics> {
  const byCommunity = new Map<string, ComplaintFact[]>();
  for (const f of facts) byCommunity.set(f.communityId, [...(byCommunity.get(f.communityId) ?? []), f]);
  const result = new Map<string, ComplaintStatistics>();
  for (const [communityId, items] of byCommunity) {
    const sorted = [...items].sort((a, b) => a.filedAt - b.filedAt);
    let repeat = 0;
    const last = new Map<string, number>();
    for (const f of sorted) {
      const key = `${f.filedBy}\u0000${f.category}`;
      const before = last.get(key);
      if (before !== undefined && f.filedAt - before <= repeatWindowDays * 24 * HOUR) repeat++;
      last.set(key, f.filedAt);
    }
    const open = items.filter((f) => f.state === 'open');
    const rated = items.filter((f) => f.satisfaction !== null).map((f) => f.satisfaction!);
    result.set(communityId, {
      count: items.length,
      open: open.length,
      overdue: open.filter((f) => f.deadline <= now).length,
      reopened: items.filter((f) => f.reopened > 0).length,
      repeat,
      avgResponseMinutes: mean(items.filter((f) => f.respondedAt !== null).map((f) => (f.respondedAt! - f.filedAt) / 60_000)),
      avgResolutionMinutes: mean(items.filter((f) => f.resolvedAt !== null).map((f) => (f.resolvedAt! - f.filedAt) / 60_000)),
      rated: rated.length,
      avgSatisfaction: mean(rated),
    });
  }
  return result;
}
