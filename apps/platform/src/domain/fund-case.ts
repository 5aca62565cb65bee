/**
 * The emergency repair case of the maintenance-fund green channel (domain-rules §3.4) as a pure
 * state machine:
 *
 *   draft ─propose→ proposed ─publish_notice→ notice ─confirm→ confirmed ─approve / deem_approve→ approved
 *                                                                     └─reject→ rejected
 *   approved ─pay (first payment)→ in_repair ─pay…→ in_repair ─accept→ accepted ─pay (balance)…→ accepted ─disclose→ disclosed
 *   draft | proposed | notice ─withdraw→ withdrawn
 *
 * Each action is allowed to certain roles only (a wrong role is 'forbidden' whatever the state),
 * then only from certain states ('conflict'), then its own rules ('invalid' / 'conflict').
 * Money is in fen (BigInt). Time comes in as `now`.
 */
import type { Role } from '@app/contracts';
import type { FundCityProfile } from './fund-profiles';
import { workingDayDeadline, type HolidayCalendar } from './working-days';

export const fundCaseStates = ['draft', 'proposed', 'notice', 'confirmed', 'approved', 'rejected', 'in_repair', 'accepted', 'disclosed', 'withdrawn'] as const;
export type FundCaseState = (typeof fundCaseStates)[number];
/** States in which a case is finished: a new alarm of the same device may open a new case. */
export const closedFundCaseStates: readonly FundCaseState[] = ['rejected', 'disclosed', 'withdrawn'];

export type ChargeScope = { level: 'estate' } | { level: 'building'; buildingIds: string[] } | { level: 'units'; unitIds: string[] };

export interface RepairPlan {
  repairPlan: string;
  contractor: string;
  budgetFen: bigint;
  chargeScope: ChargeScope;
}

export interface FundCaseSnapshot {
  state: FundCaseState;
  budgetFen: bigint | null;
  paidFen: bigint;
  actualCostFen: bigint | null;
  noticeEndsAt: number | null;
  noticeDuringWorks: boolean;
  reviewDeadline: number | null;
  paymentDeadline: number | null;
}

export type FundCaseCommand =
  | ({ action: 'propose' } & RepairPlan)
  | { action: 'publish_notice'; duringWorks?: boolean }
  | { action: 'confirm' }
  | { action: 'approve' }
  | { action: 'reject'; reason: string }
  | { action: 'deem_approve' }
  | { action: 'pay'; amountFen?: bigint }
  | { action: 'accept'; actualCostFen: bigint }
  | { action: 'disclose' }
  | { action: 'withdraw'; reason?: string };
export type FundCaseAction = FundCaseCommand['action'];

export type FundActor = { kind: 'user'; role: Role } | { kind: 'system' };

export interface FundTransitionContext {
  actor: FundActor;
  now: number;
  profile: FundCityProfile;
  calendar: HolidayCalendar;
  timeZone: string;
  /** The community has a property company / an owners' committee (else the residents' committee proposes). */
  hasPropertyCompany: boolean;
  hasOwnersCommittee: boolean;
  /** The actor is an owner the case concerns (isAffectedOwner). */
  affectedOwner?: boolean;
}

export type FundTransitionResult =
  | { ok: true; from: FundCaseState; to: FundCaseState; snapshot: FundCaseSnapshot; paymentFen?: bigint }
  | { ok: false; error: 'forbidden' | 'conflict' | 'invalid'; message: string };

/** Who may propose (and so organise: publish the notice, withdraw, sign acceptance, disclose). */
export function organiserRoles(ctx: Pick<FundTransitionContext, 'hasPropertyCompany' | 'hasOwnersCommittee'>): Role[] {
  const roles: Role[] = ['property_staff', 'owners_committee'];
  if (!ctx.hasPropertyCompany && !ctx.hasOwnersCommittee) roles.push('residents_committee');
  return roles;
}

/**
 * Who may propose a plan, put it on notice and withdraw it: the organisers and, when the actor is
 * an owner the case concerns (isAffectedOwner), that owner — "由业主委员会、相关业主、物业服务企业提出
 * 应急处置方案" (001_187fc5f9dc35b825.txt 三(三)4(2)). Acceptance and disclosure stay with the organisers.
 */
export function proposerRoles(ctx: Pick<FundTransitionContext, 'hasPropertyCompany' | 'hasOwnersCommittee' | 'affectedOwner'>): Role[] {
  return ctx.affectedOwner ? [...organiserRoles(ctx), 'owner'] : organiserRoles(ctx);
}

/** A unit an owner holds, verified (unit_occupants), with its building. */
export interface OwnerHolding {
  unitId: string;
  buildingId: string;
}

/**
 * Does a case concern an owner? Once a plan names the charge scope: the owner holds a unit in it.
 * Before: a unit in the building of the failed equipment, or anywhere in the estate when the case
 * names no building (holdings are the owner's units in the case's community).
 */
export function isAffectedOwner(holdings: readonly OwnerHolding[], c: { buildingId: string | null; chargeScope: ChargeScope | null }): boolean {
  const scope = c.chargeScope;
  if (scope) {
    if (scope.level === 'estate') return holdings.length > 0;
    if (scope.level === 'building') return holdings.some((h) => scope.buildingIds.includes(h.buildingId));
    return holdings.some((h) => scope.unitIds.includes(h.unitId));
  }
  if (c.buildingId) return holdings.some((h) => h.buildingId === c.buildingId);
  return holdings.length > 0;
}

const confirmerRoles: Role[] = ['residents_committee', 'street_officer'];
const authorityRoles: Role[] = ['district_authority'];

function allowedRoles(action: FundCaseAction, ctx: FundTransitionContext): Role[] | 'system' {
  switch (action) {
    case 'propose':
    case 'publish_notice':
    case 'withdraw':
      return proposerRoles(ctx);
    case 'accept':
    case 'disclose':
      return organiserRoles(ctx);
    case 'confirm':
      return confirmerRoles;
    case 'approve':
    case 'reject':
    case 'pay':
      return authorityRoles;
    case 'deem_approve':
      return 'system';
  }
}

const fromStates: Record<FundCaseAction, readonly FundCaseState[]> = {
  propose: ['draft'],
  publish_notice: ['proposed'],
  confirm: ['notice'],
  approve: ['confirmed'],
  reject: ['confirmed'],
  deem_approve: ['confirmed'],
  pay: ['approved', 'in_repair', 'accepted'],
  accept: ['in_repair'],
  disclose: ['accepted'],
  withdraw: ['draft', 'proposed', 'notice'],
};

/** The actions a role could take on a case in its state now (for the UI; rules beyond role and state are not checked). */
export function availableActions(state: FundCaseState, ctx: FundTransitionContext): FundCaseAction[] {
  return (Object.keys(fromStates) as FundCaseAction[]).filter((a) => {
    const roles = allowedRoles(a, ctx);
    const roleOk = roles === 'system' ? ctx.actor.kind === 'system' : ctx.actor.kind === 'user' && roles.includes(ctx.actor.role);
    return roleOk && fromStates[a].includes(state);
  });
}

const fail = (error: 'forbidden' | 'conflict' | 'invalid', message: string): FundTransitionResult => ({ ok: false, error, message });

/** The first payment allowed on approval: the profile's share of the budget, rounded down to the fen. */
export function firstPaymentLimit(budgetFen: bigint, profile: FundCityProfile): bigint {
  return (budgetFen * BigInt(Math.round(profile.firstPaymentPercent * 100))) / 10_000n;
}

export function transition(s: FundCaseSnapshot, command: FundCaseCommand, ctx: FundTransitionContext): FundTransitionResult {
  const { action } = command;
  const roles = allowedRoles(action, ctx);
  if (roles === 'system') {
    if (ctx.actor.kind !== 'system') return fail('forbidden', `${action} is done by the platform only`);
  } else if (ctx.actor.kind !== 'user' || !roles.includes(ctx.actor.role)) {
    const who = ctx.actor.kind === 'user' ? `role ${ctx.actor.role}` : 'the platform';
    return fail('forbidden', `${who} may not ${action} (allowed: ${roles.join(', ')})`);
  }
  if (!fromStates[action].includes(s.state)) return fail('conflict', `cannot ${action} a case in state ${s.state}`);

  const next = { ...s };
  const to = (state: FundCaseState, paymentFen?: bigint): FundTransitionResult => ({
    ok: true,
    from: s.state,
    to: state,
    snapshot: { ...next, state },
    ...(paymentFen !== undefined ? { paymentFen } : {}),
  });
  const { now, profile, calendar, timeZone } = ctx;

  switch (command.action) {
    case 'propose': {
      if (command.budgetFen <= 0n) return fail('invalid', 'the budget must be positive');
      if (!command.repairPlan.trim() || !command.contractor.trim()) return fail('invalid', 'a repair plan and a contractor are required');
      const scope = command.chargeScope;
      if (scope.level === 'building' && scope.buildingIds.length === 0) return fail('invalid', 'the charge scope names no building');
      if (scope.level === 'units' && scope.unitIds.length === 0) return fail('invalid', 'the charge scope names no unit');
      next.budgetFen = command.budgetFen;
      return to('proposed');
    }
    case 'publish_notice': {
      const duringWorks = command.duringWorks === true;
      if (duringWorks && !profile.noticeDuringWorksAllowed) return fail('invalid', `profile ${profile.id} does not allow notice during the works`);
      next.noticeDuringWorks = duringWorks;
      next.noticeEndsAt = workingDayDeadline(now, profile.noticeWorkingDays, timeZone, calendar);
      return to('notice');
    }
    case 'confirm': {
      if (!s.noticeDuringWorks && s.noticeEndsAt !== null && now < s.noticeEndsAt) {
        return fail('conflict', `the public notice runs until ${new Date(s.noticeEndsAt).toISOString()}`);
      }
      next.reviewDeadline = workingDayDeadline(now, profile.reviewWorkingDays, timeZone, calendar);
      return to('confirmed');
    }
    case 'approve':
      next.paymentDeadline = profile.paymentWorkingDays === null ? null : workingDayDeadline(now, profile.paymentWorkingDays, timeZone, calendar);
      return to('approved');
    case 'deem_approve':
      if (!profile.deemedApprovalOnTimeout) return fail('conflict', `profile ${profile.id} has no deemed approval`);
      if (s.reviewDeadline === null || now < s.reviewDeadline) return fail('conflict', 'the review deadline has not passed');
      next.paymentDeadline = profile.paymentWorkingDays === null ? null : workingDayDeadline(now, profile.paymentWorkingDays, timeZone, calendar);
      return to('approved');
    case 'reject':
      if (!command.reason.trim()) return fail('invalid', 'a rejection needs a reason');
      return to('rejected');
    case 'pay': {
      const budget = s.budgetFen ?? 0n;
      if (s.state === 'approved') {
        const limit = firstPaymentLimit(budget, profile);
        const amount = command.amountFen ?? limit;
        if (amount <= 0n) return fail('invalid', 'a payment must be positive');
        if (amount > limit) return fail('invalid', `the first payment may be at most ${profile.firstPaymentPercent}% of the budget (${limit} fen)`);
        next.paidFen = s.paidFen + amount;
        next.paymentDeadline = null;
        return to('in_repair', amount);
      }
      const cap = s.state === 'accepted' ? (s.actualCostFen ?? 0n) : budget;
      const amount = command.amountFen ?? cap - s.paidFen;
      if (amount <= 0n) return fail('invalid', 'a payment must be positive (nothing is left to pay)');
      if (s.paidFen + amount > cap) {
        return fail('invalid', `payments would exceed the ${s.state === 'accepted' ? 'actual cost' : 'budget'} (${cap} fen; paid ${s.paidFen})`);
      }
      next.paidFen = s.paidFen + amount;
      return to(s.state, amount);
    }
    case 'accept':
      if (command.actualCostFen <= 0n) return fail('invalid', 'the actual cost must be positive');
      if (command.actualCostFen < s.paidFen) return fail('invalid', `the actual cost is below what was already paid (${s.paidFen} fen)`);
      next.actualCostFen = command.actualCostFen;
      return to('accepted');
    case 'disclose':
      if (s.actualCostFen === null || s.paidFen !== s.actualCostFen) {
        return fail('conflict', `payments (${s.paidFen} fen) must equal the actual cost (${s.actualCostFen ?? 0n} fen) before disclosure`);
      }
      return to('disclosed');
    case 'withdraw':
      return to('withdrawn');
  }
}

export type DeadlineKind = 'review' | 'payment';
export type DeadlinePhase = 'remind' | 'due';

export interface DeadlineTimer {
  kind: DeadlineKind;
  phase: DeadlinePhase;
  /** When the timer should fire (ms). */
  at: number;
  deadline: number;
}

/** The timers a case needs in its current state (schedule after each transition). */
export function deadlineTimers(s: FundCaseSnapshot, profile: FundCityProfile): DeadlineTimer[] {
  const timers: DeadlineTimer[] = [];
  const add = (kind: DeadlineKind, deadline: number) => {
    timers.push({ kind, phase: 'remind', at: deadline - profile.reminderLeadMs, deadline });
    timers.push({ kind, phase: 'due', at: deadline, deadline });
  };
  if (s.state === 'confirmed' && s.reviewDeadline !== null) add('review', s.reviewDeadline);
  if (s.state === 'approved' && s.paymentDeadline !== null) add('payment', s.paymentDeadline);
  return timers;
}

export type DeadlineDecision =
  | { kind: 'none'; reason: string }
  | { kind: 'wait'; until: number }
  | { kind: 'remind' }
  | { kind: 'escalate' }
  | { kind: 'deem_approve' };

/** What a deadline timer does when it fires at `now` (it may fire early, late, or after the case moved on). */
export function decideDeadline(s: FundCaseSnapshot, timer: Pick<DeadlineTimer, 'kind' | 'phase'>, now: number, profile: FundCityProfile): DeadlineDecision {
  const state: FundCaseState = timer.kind === 'review' ? 'confirmed' : 'approved';
  const deadline = timer.kind === 'review' ? s.reviewDeadline : s.paymentDeadline;
  if (s.state !== state || deadline === null) return { kind: 'none', reason: `case is ${s.state}` };
  if (timer.phase === 'remind') {
    const at = deadline - profile.reminderLeadMs;
    if (now < at) return { kind: 'wait', until: at };
    if (now >= deadline) return { kind: 'none', reason: 'deadline already passed' };
    return { kind: 'remind' };
  }
  if (now < deadline) return { kind: 'wait', until: deadline };
  if (timer.kind === 'review' && profile.deemedApprovalOnTimeout) return { kind: 'deem_approve' };
  return { kind: 'escalate' };
}
