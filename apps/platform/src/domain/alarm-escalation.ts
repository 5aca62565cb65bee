/**
 * Escalation chains (pure): who is told of an alarm, in which order, how long each tier has to
 * acknowledge, the arrival deadline and the reminder interval. Defaults follow domain rules §1.6
 * (duty room 30 s, maintenance company 3 min, tier 2 rescue, then street/district; 30 min urban
 * arrival). Chains can be replaced per community and alarm type (alarm_escalation_chains).
 */
import type { EscalationChain, EscalationTier } from '@app/contracts';
import { isLifeSafety } from './alarm-rules';

const trappedChain: EscalationChain = {
  tiers: [
    { name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 30 },
    { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 180 },
    { name: 'rescue_tier2', roles: ['maintenance_staff'], scopeLevel: 'street', ackWithinS: 300 },
    { name: 'authorities', roles: ['street_officer', 'district_authority'], ackWithinS: 600 },
  ],
  arrivalWithinS: 1800,
  reminderEveryS: 300,
};

const fireChain: EscalationChain = {
  tiers: [
    { name: 'fire_control_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 60 },
    { name: 'authorities', roles: ['street_officer', 'district_authority'], ackWithinS: 600 },
  ],
  reminderEveryS: 300,
};

const faultChain: EscalationChain = {
  tiers: [
    { name: 'property', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 900 },
    { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 3600 },
  ],
};

const infoChain: EscalationChain = { tiers: [{ name: 'property', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }] };

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

export interface UserCandidate {
  id: string;
  role: string;
  scopeLevel: 'platform' | 'community' | 'street' | 'district';
  communityIds: string[];
  street: string | null;
  district: string | null;
}

/** Users a tier names: explicit ids, or users of the roles whose scope covers the community (at the tier's level when given). */
export function tierRecipients(tier: EscalationTier, users: UserCandidate[], community: { id: string; street: string; district: string }): string[] {
  const ids = new Set(tier.userIds ?? []);
  const roles = tier.roles ?? [];
  for (const u of users) {
    if (!roles.includes(u.role as never)) continue;
    if (tier.scopeLevel && u.scopeLevel !== tier.scopeLevel) continue;
    const covers =
      u.scopeLevel === 'platform' ||
      (u.scopeLevel === 'community' && u.communityIds.includes(community.id)) ||
      (u.scopeLevel === 'street' && u.street === community.street && u.district === community.district) ||
      (u.scopeLevel === 'district' && u.district === community.district);
    if (covers) ids.add(u.id);
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
