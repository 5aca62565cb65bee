/**
 * Escalation chains (pure): who is told of an alarm, in which order, how long each tier has to
 * acknowledge, the arrival deadline and the reminder interval. Defaults follow domain rules §1.6
 * (duty room at once, 30 s; maintenance company told at once too, 3 min from the raise; then tier 2
 * rescue, then street/district; 30 min urban arrival). Chains can be replaced per community and
 * alarm type (alarm_escalation_chains).
 *
 * Timing model: the first tier and every tier flagged notifyAtStart are told when the alarm is
 * raised, each with its own deadline counted from the raise. Any other tier is told when the
 * deadline of the tier just before it runs out unacknowledged (its deadline then counts from that
 * moment). A tier flagged notifyAtStart is never "escalated to": the deadline of the tier before
 * it only lapses (it has been told already).
 */
import { type EscalationChain, type EscalationChainInput, escalationChainSchema, type EscalationTier } from '@app/contracts';
import { isLifeSafety } from './alarm-rules';
import { covers, scopeFrom } from './scope';

const chain = (c: EscalationChainInput): EscalationChain => escalationChainSchema.parse(c);

const trappedChain = chain({
  tiers: [
    { name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 30 },
    { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 180, notifyAtStart: true },
    { name: 'rescue_tier2', roles: ['maintenance_staff'], scopeLevel: 'street', ackWithinS: 300 },
    { name: 'authorities', roles: ['street_officer', 'district_authority'], ackWithinS: 600 },
  ],
  arrivalWithinS: 1800,
  reminderEveryS: 300,
});

const fireChain = chain({
  tiers: [
    { name: 'fire_control_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 60 },
    { name: 'authorities', roles: ['street_officer', 'district_authority'], ackWithinS: 600 },
  ],
  reminderEveryS: 300,
});

const faultChain = chain({
  tiers: [
    { name: 'property', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 900 },
    { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 3600 },
  ],
});

const infoChain = chain({ tiers: [{ name: 'property', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }] });

/** The chain in code for an alarm type and severity (used when no row overrides it). */
export function defaultChain(type: string, severity: number): EscalationChain {
  if (type === 'trapped_at_level' || type === 'trapped_not_level' || type === 'emergency_call') return trappedChain;
  if (type === 'fire' || type === 'arrival_overdue') return fireChain;
  if (severity <= 3) return faultChain;
  return infoChain;
}

/** BullMQ priority (1 = first): life-safety alarms go ahead of everything else. */
export function jobPriority(type: string, severity: number): number {
  return isLifeSafety(type) ? 1 : 1 + Math.min(5, Math.max(1, severity));
}

/** Tiers told when the alarm is raised: the first one and every tier flagged notifyAtStart. */
export function startTiers(chain: EscalationChain): number[] {
  return chain.tiers.flatMap((t, i) => (i === 0 || t.notifyAtStart ? [i] : []));
}

/**
 * When tier `tier` has just been told (at the raise or by escalation): the tier to escalate to if
 * it does not acknowledge, and after how long. None when the tier has no deadline (0), when it is
 * the last one, or when the next tier is told at the raise anyway (it runs its own deadline).
 */
export function nextEscalation(chain: EscalationChain, tier: number): { tier: number; afterMs: number } | undefined {
  const t = chain.tiers[tier];
  const next = chain.tiers[tier + 1];
  if (!t || !next || t.ackWithinS <= 0 || next.notifyAtStart) return undefined;
  return { tier: tier + 1, afterMs: t.ackWithinS * 1000 };
}

/**
 * The whole plan of a chain nobody acknowledges, in ms from the raise: when each tier is told and
 * how (for documentation, the settings page and tests).
 */
export function escalationTimeline(chain: EscalationChain): Array<{ tier: number; atMs: number; kind: 'notify' | 'escalation' }> {
  const out: Array<{ tier: number; atMs: number; kind: 'notify' | 'escalation' }> = [];
  const follow = (tier: number, atMs: number) => {
    const n = nextEscalation(chain, tier);
    if (!n) return;
    out.push({ tier: n.tier, atMs: atMs + n.afterMs, kind: 'escalation' });
    follow(n.tier, atMs + n.afterMs);
  };
  for (const tier of startTiers(chain)) {
    out.push({ tier, atMs: 0, kind: 'notify' });
    follow(tier, 0);
  }
  return out.sort((a, b) => a.atMs - b.atMs || a.tier - b.tier);
}

export interface UserCandidate {
  id: string;
  role: string;
  scopeLevel: 'platform' | 'community' | 'street' | 'district';
  communityIds: string[];
  street: string | null;
  district: string | null;
}

/** Users a tier names: explicit ids, or users of the roles whose scope covers the community (at the tier's level when given). */
export function tierRecipients(tier: Omit<EscalationTier, 'notifyAtStart'>, users: UserCandidate[], community: { id: string; street: string; district: string }): string[] {
  const ids = new Set(tier.userIds ?? []);
  const roles = tier.roles ?? [];
  for (const u of users) {
    if (!roles.includes(u.role as never)) continue;
    if (tier.scopeLevel && u.scopeLevel !== tier.scopeLevel) continue;
    if (covers(scopeFrom(u.scopeLevel, u.communityIds, u.street, u.district), community)) ids.add(u.id);
  }
  return [...ids];
}

/** Whether a user's preferences let a notification through. */
export function wantsNotification(prefs: { severities?: number[]; types?: string[] } | undefined, severity: number, type: string): boolean {
  if (!prefs) return true;
  if (prefs.severities && prefs.severities.length > 0 && !prefs.severities.includes(severity)) return false;
  if (prefs.types && prefs.types.length > 0 && !prefs.types.includes(type)) return false;
  return true;
}
