import type { Role } from '@app/contracts';
import {
  availableActions,
  decideDeadline,
  deadlineTimers,
  firstPaymentLimit,
  isAffectedOwner,
  transition,
  type FundCaseCommand,
  type FundCaseSnapshot,
  type FundTransitionContext,
  type FundTransitionResult,
} from './fund-case';
import { fundProfile } from './fund-profiles';
import { emptyCalendar } from './working-days';

const sh = (iso: string) => Date.parse(`${iso}+08:00`);
const MON = sh('2025-06-09T10:00:00');

const draft: FundCaseSnapshot = {
  state: 'draft',
  budgetFen: null,
  paidFen: 0n,
  actualCostFen: null,
  noticeEndsAt: null,
  noticeDuringWorks: false,
  reviewDeadline: null,
  paymentDeadline: null,
};

function ctx(role: Role | 'system', now = MON, profileId = 'national', extra: Partial<FundTransitionContext> = {}): FundTransitionContext {
  return {
    actor: role === 'system' ? { kind: 'system' } : { kind: 'user', role },
    now,
    profile: fundProfile(profileId),
    calendar: emptyCalendar,
    timeZone: 'Asia/Shanghai',
    hasPropertyCompany: true,
    hasOwnersCommittee: false,
    ...extra,
  };
}

const plan: FundCaseCommand = {
  action: 'propose',
  repairPlan: 'replace the traction machine brake',
  contractor: 'Shanghai Lift Repair Co.',
  budgetFen: 1_000_000n,
  chargeScope: { level: 'building', buildingIds: ['b1'] },
};

function ok(r: FundTransitionResult): FundCaseSnapshot {
  if (!r.ok) throw new Error(`expected success, got ${r.error}: ${r.message}`);
  return r.snapshot;
}
function refused(r: FundTransitionResult, error: 'forbidden' | 'conflict' | 'invalid'): string {
  if (r.ok) throw new Error(`expected ${error}, got success ${r.from} → ${r.to}`);
  expect(r.error).toBe(error);
  return r.message;
}

/** Walks a case to `state` along the happy path (national profile). */
function walkTo(state: FundCaseSnapshot['state']): FundCaseSnapshot {
  let s = draft;
  const steps: Array<[FundCaseCommand, Role, number]> = [
    [plan, 'property_staff', MON],
    [{ action: 'publish_notice' }, 'property_staff', MON],
    [{ action: 'confirm' }, 'residents_committee', sh('2025-06-13T09:00:00')],
    [{ action: 'approve' }, 'district_authority', sh('2025-06-16T09:00:00')],
    [{ action: 'pay' }, 'district_authority', sh('2025-06-16T10:00:00')],
    [{ action: 'accept', actualCostFen: 900_000n }, 'owners_committee', sh('2025-06-20T10:00:00')],
    [{ action: 'pay' }, 'district_authority', sh('2025-06-21T10:00:00')],
    [{ action: 'disclose' }, 'property_staff', sh('2025-06-22T10:00:00')],
  ];
  for (const [command, role, now] of steps) {
    if (s.state === state) return s;
    s = ok(transition(s, command, ctx(role, now)));
  }
  if (s.state !== state) throw new Error(`did not reach ${state}`);
  return s;
}

describe('fund case state machine', () => {
  it('walks the whole green channel: draft → … → disclosed', () => {
    let s = ok(transition(draft, plan, ctx('property_staff')));
    expect(s).toMatchObject({ state: 'proposed', budgetFen: 1_000_000n });

    s = ok(transition(s, { action: 'publish_notice' }, ctx('property_staff')));
    expect(s.state).toBe('notice');
    // 3 working days from Monday 9 June → end of Thursday 12 June.
    expect(s.noticeEndsAt).toBe(sh('2025-06-13T00:00:00'));

    s = ok(transition(s, { action: 'confirm' }, ctx('street_officer', sh('2025-06-13T09:00:00'))));
    expect(s.state).toBe('confirmed');
    // Review within 3 working days of Friday 13 June → end of Wednesday 18 June.
    expect(s.reviewDeadline).toBe(sh('2025-06-19T00:00:00'));

    s = ok(transition(s, { action: 'approve' }, ctx('district_authority', sh('2025-06-16T09:00:00'))));
    expect(s.state).toBe('approved');

    const first = transition(s, { action: 'pay' }, ctx('district_authority'));
    s = ok(first);
    expect(first.ok && first.paymentFen).toBe(500_000n); // 50 % of the budget
    expect(s).toMatchObject({ state: 'in_repair', paidFen: 500_000n });

    s = ok(transition(s, { action: 'pay', amountFen: 100_000n }, ctx('district_authority')));
    expect(s).toMatchObject({ state: 'in_repair', paidFen: 600_000n });

    s = ok(transition(s, { action: 'accept', actualCostFen: 950_000n }, ctx('property_staff')));
    expect(s).toMatchObject({ state: 'accepted', actualCostFen: 950_000n });

    s = ok(transition(s, { action: 'pay' }, ctx('district_authority')));
    expect(s.paidFen).toBe(950_000n);

    s = ok(transition(s, { action: 'disclose' }, ctx('property_staff')));
    expect(s.state).toBe('disclosed');
  });

  it('a rejected case ends there', () => {
    const s = ok(transition(walkTo('confirmed'), { action: 'reject', reason: 'not an emergency' }, ctx('district_authority')));
    expect(s.state).toBe('rejected');
    refused(transition(s, { action: 'approve' }, ctx('district_authority')), 'conflict');
    refused(transition(walkTo('confirmed'), { action: 'reject', reason: '  ' }, ctx('district_authority')), 'invalid');
  });

  it('a case can be withdrawn before confirmation only', () => {
    for (const state of ['draft', 'proposed', 'notice'] as const) {
      expect(ok(transition(walkTo(state), { action: 'withdraw' }, ctx('owners_committee'))).state).toBe('withdrawn');
    }
    refused(transition(walkTo('confirmed'), { action: 'withdraw' }, ctx('property_staff')), 'conflict');
  });

  describe('roles', () => {
    const wrong: Array<[string, FundCaseSnapshot['state'], FundCaseCommand, Role[]]> = [
      ['propose', 'draft', plan, ['owner', 'maintenance_staff', 'street_officer', 'district_authority', 'platform_admin', 'residents_committee']],
      ['publish_notice', 'proposed', { action: 'publish_notice' }, ['owner', 'district_authority', 'street_officer']],
      ['confirm', 'notice', { action: 'confirm' }, ['property_staff', 'owners_committee', 'district_authority', 'owner', 'platform_admin']],
      ['approve', 'confirmed', { action: 'approve' }, ['property_staff', 'residents_committee', 'street_officer', 'platform_admin']],
      ['reject', 'confirmed', { action: 'reject', reason: 'x' }, ['property_staff', 'street_officer']],
      ['pay', 'approved', { action: 'pay' }, ['property_staff', 'owners_committee', 'platform_admin']],
      ['accept', 'in_repair', { action: 'accept', actualCostFen: 1n }, ['district_authority', 'owner', 'street_officer']],
      ['disclose', 'accepted', { action: 'disclose' }, ['district_authority', 'owner']],
    ];
    it.each(wrong)('%s is refused to the wrong roles', (_, state, command, roles) => {
      for (const role of roles) expect(refused(transition(walkTo(state), command, ctx(role)), 'forbidden')).toContain(`role ${role}`);
    });

    it('the residents committee proposes only where there is neither a property company nor an owners committee', () => {
      refused(transition(draft, plan, ctx('residents_committee')), 'forbidden');
      refused(transition(draft, plan, ctx('residents_committee', MON, 'national', { hasPropertyCompany: false, hasOwnersCommittee: true })), 'forbidden');
      const s = ok(transition(draft, plan, ctx('residents_committee', MON, 'national', { hasPropertyCompany: false, hasOwnersCommittee: false })));
      expect(s.state).toBe('proposed');
    });

    it('deemed approval is the platform’s, never a user’s; users are not the platform', () => {
      refused(transition(walkTo('confirmed'), { action: 'deem_approve' }, ctx('district_authority', sh('2025-07-01T00:00:00'), 'fujian')), 'forbidden');
      refused(transition(walkTo('confirmed'), { action: 'approve' }, ctx('system')), 'forbidden');
    });

    it('a wrong role is refused whatever the state (403 before 409)', () => {
      refused(transition(walkTo('disclosed'), { action: 'confirm' }, ctx('owner')), 'forbidden');
    });

    it('lists the actions a role can take now', () => {
      expect(availableActions('notice', ctx('street_officer'))).toEqual(['confirm']);
      expect(availableActions('confirmed', ctx('district_authority'))).toEqual(['approve', 'reject']);
      expect(availableActions('notice', ctx('property_staff'))).toEqual(['withdraw']);
      expect(availableActions('confirmed', ctx('system'))).toEqual(['deem_approve']);
    });
  });

  describe('refused by state', () => {
    const cases: Array<[FundCaseSnapshot['state'], FundCaseCommand, Role]> = [
      ['draft', { action: 'publish_notice' }, 'property_staff'],
      ['draft', { action: 'confirm' }, 'street_officer'],
      ['proposed', plan, 'property_staff'],
      ['notice', { action: 'approve' }, 'district_authority'],
      ['proposed', { action: 'pay' }, 'district_authority'],
      ['approved', { action: 'accept', actualCostFen: 1n }, 'property_staff'],
      ['in_repair', { action: 'disclose' }, 'property_staff'],
      ['disclosed', { action: 'pay', amountFen: 1n }, 'district_authority'],
      ['disclosed', { action: 'disclose' }, 'property_staff'],
    ];
    it.each(cases)('from %s: %o', (state, command, role) => {
      expect(refused(transition(walkTo(state), command, ctx(role)), 'conflict')).toContain(`state ${state}`);
    });
  });

  describe('rules of each step', () => {
    it('a proposal needs a positive budget, a plan, a contractor and a non-empty scope', () => {
      refused(transition(draft, { ...plan, budgetFen: 0n }, ctx('property_staff')), 'invalid');
      refused(transition(draft, { ...plan, contractor: ' ' }, ctx('property_staff')), 'invalid');
      refused(transition(draft, { ...plan, chargeScope: { level: 'units', unitIds: [] } }, ctx('property_staff')), 'invalid');
      refused(transition(draft, { ...plan, chargeScope: { level: 'building', buildingIds: [] } }, ctx('property_staff')), 'invalid');
      expect(ok(transition(draft, { ...plan, chargeScope: { level: 'estate' } }, ctx('property_staff'))).state).toBe('proposed');
    });

    it('confirmation waits for the end of the notice period', () => {
      const s = walkTo('notice');
      expect(refused(transition(s, { action: 'confirm' }, ctx('residents_committee', sh('2025-06-12T23:59:59'))), 'conflict')).toContain('notice runs until');
      expect(ok(transition(s, { action: 'confirm' }, ctx('residents_committee', sh('2025-06-13T00:00:00')))).state).toBe('confirmed');
    });

    it('notice during the works (先修后公示) lets confirmation come at once, where the profile allows it', () => {
      const proposed = walkTo('proposed');
      refused(transition(proposed, { action: 'publish_notice', duringWorks: true }, ctx('property_staff', MON, 'national')), 'invalid');
      const s = ok(transition(proposed, { action: 'publish_notice', duringWorks: true }, ctx('property_staff', MON, 'beijing')));
      expect(s.noticeDuringWorks).toBe(true);
      const c = ok(transition(s, { action: 'confirm' }, ctx('street_officer', MON + 60_000, 'beijing')));
      // Beijing: review within 2 working days.
      expect(c.reviewDeadline).toBe(sh('2025-06-12T00:00:00'));
    });

    it('Fujian: deemed approval only once the 5-working-day review deadline has passed', () => {
      let s = ok(transition(draft, plan, ctx('property_staff', MON, 'fujian')));
      s = ok(transition(s, { action: 'publish_notice' }, ctx('property_staff', MON, 'fujian')));
      s = ok(transition(s, { action: 'confirm' }, ctx('street_officer', sh('2025-06-13T09:00:00'), 'fujian')));
      expect(s.reviewDeadline).toBe(sh('2025-06-21T00:00:00')); // Mon 16 … Fri 20
      refused(transition(s, { action: 'deem_approve' }, ctx('system', sh('2025-06-20T23:59:59'), 'fujian')), 'conflict');
      expect(ok(transition(s, { action: 'deem_approve' }, ctx('system', sh('2025-06-21T00:00:00'), 'fujian'))).state).toBe('approved');
      // The national profile has no deemed approval at all.
      refused(transition(walkTo('confirmed'), { action: 'deem_approve' }, ctx('system', sh('2025-07-01T00:00:00'))), 'conflict');
    });

    it('the first payment is at most the profile’s share of the budget', () => {
      const s = walkTo('approved');
      expect(firstPaymentLimit(1_000_000n, fundProfile('national'))).toBe(500_000n);
      expect(firstPaymentLimit(1_000_001n, fundProfile('simplified'))).toBe(700_000n);
      refused(transition(s, { action: 'pay', amountFen: 500_001n }, ctx('district_authority')), 'invalid');
      refused(transition(s, { action: 'pay', amountFen: 0n }, ctx('district_authority')), 'invalid');
      expect(ok(transition(s, { action: 'pay', amountFen: 300_000n }, ctx('district_authority'))).paidFen).toBe(300_000n);
    });

    it('payments never exceed the budget during works nor the actual cost after acceptance', () => {
      const inRepair = walkTo('in_repair');
      refused(transition(inRepair, { action: 'pay', amountFen: 500_001n }, ctx('district_authority')), 'invalid');
      const accepted = ok(transition(inRepair, { action: 'accept', actualCostFen: 600_000n }, ctx('property_staff')));
      refused(transition(accepted, { action: 'pay', amountFen: 100_001n }, ctx('district_authority')), 'invalid');
      const settled = ok(transition(accepted, { action: 'pay' }, ctx('district_authority')));
      expect(settled.paidFen).toBe(600_000n);
      refused(transition(settled, { action: 'pay' }, ctx('district_authority')), 'invalid');
    });

    it('acceptance needs a positive actual cost not below what was paid', () => {
      const s = walkTo('in_repair');
      refused(transition(s, { action: 'accept', actualCostFen: 0n }, ctx('property_staff')), 'invalid');
      refused(transition(s, { action: 'accept', actualCostFen: 499_999n }, ctx('property_staff')), 'invalid');
    });

    it('disclosure waits until payments equal the actual cost', () => {
      const s = walkTo('accepted');
      expect(refused(transition(s, { action: 'disclose' }, ctx('property_staff')), 'conflict')).toContain('must equal the actual cost');
    });
  });

  describe('deadline timers', () => {
    it('a confirmed case gets a reminder and a due timer for the review; an approved one for payment where the profile sets it', () => {
      const confirmed = walkTo('confirmed');
      expect(deadlineTimers(confirmed, fundProfile('national'))).toEqual([
        { kind: 'review', phase: 'remind', at: confirmed.reviewDeadline! - 86_400_000, deadline: confirmed.reviewDeadline },
        { kind: 'review', phase: 'due', at: confirmed.reviewDeadline, deadline: confirmed.reviewDeadline },
      ]);
      expect(deadlineTimers(walkTo('approved'), fundProfile('national'))).toEqual([]);
      const beijingApproved = ok(transition(confirmed, { action: 'approve' }, ctx('district_authority', MON, 'beijing')));
      expect(deadlineTimers(beijingApproved, fundProfile('beijing')).map((t) => `${t.kind}/${t.phase}`)).toEqual(['payment/remind', 'payment/due']);
      expect(deadlineTimers(walkTo('notice'), fundProfile('national'))).toEqual([]);
    });

    it('decides what a firing timer does: wait when early, remind, escalate, deem-approve, or nothing once the case moved on', () => {
      const s = walkTo('confirmed');
      const d = s.reviewDeadline!;
      const national = fundProfile('national');
      const fujian = fundProfile('fujian');
      expect(decideDeadline(s, { kind: 'review', phase: 'remind' }, d - 2 * 86_400_000, national)).toEqual({ kind: 'wait', until: d - 86_400_000 });
      expect(decideDeadline(s, { kind: 'review', phase: 'remind' }, d - 3_600_000, national)).toEqual({ kind: 'remind' });
      expect(decideDeadline(s, { kind: 'review', phase: 'remind' }, d + 1, national).kind).toBe('none');
      expect(decideDeadline(s, { kind: 'review', phase: 'due' }, d - 1, national)).toEqual({ kind: 'wait', until: d });
      expect(decideDeadline(s, { kind: 'review', phase: 'due' }, d, national)).toEqual({ kind: 'escalate' });
      expect(decideDeadline(s, { kind: 'review', phase: 'due' }, d, fujian)).toEqual({ kind: 'deem_approve' });
      expect(decideDeadline(walkTo('approved'), { kind: 'review', phase: 'due' }, d, fujian).kind).toBe('none');
      expect(decideDeadline({ ...walkTo('approved'), paymentDeadline: d }, { kind: 'payment', phase: 'due' }, d, fujian)).toEqual({ kind: 'escalate' });
    });
  });
});

describe('owners the case concerns may propose (001_187fc5f9dc35b825.txt 三(三)4(2): 由业主委员会、相关业主、物业服务企业提出应急处置方案)', () => {
  const plan: FundCaseCommand = { action: 'propose', repairPlan: '更换曳引机', contractor: '某电梯公司', budgetFen: 5_000_000n, chargeScope: { level: 'building', buildingIds: ['b1'] } };

  it('an owner of a unit in the building of the failed lift proposes, puts the plan on notice, and may withdraw', () => {
    const owner = ctx('owner', MON, 'national', { affectedOwner: true });
    const proposed = transition(draft, plan, owner);
    expect(proposed.ok).toBe(true);
    const notice = transition((proposed as { snapshot: FundCaseSnapshot }).snapshot, { action: 'publish_notice' }, owner);
    expect(notice).toMatchObject({ ok: true, to: 'notice' });
    expect(availableActions('notice', owner)).toEqual(['withdraw']);
  });

  it('an owner the case does not concern may do nothing', () => {
    expect(transition(draft, plan, ctx('owner'))).toMatchObject({ ok: false, error: 'forbidden' });
    expect(availableActions('draft', ctx('owner'))).toEqual([]);
  });

  it('acceptance and disclosure stay with the organisers, even for a concerned owner', () => {
    const owner = ctx('owner', MON, 'national', { affectedOwner: true });
    expect(availableActions('in_repair', owner)).toEqual([]);
    expect(availableActions('accepted', owner)).toEqual([]);
  });

  it('concerned: a unit in the charge scope once a plan names it, else in the building of the equipment, else anywhere in the estate', () => {
    const holdings = [{ unitId: 'u1', buildingId: 'b1' }];
    expect(isAffectedOwner(holdings, { buildingId: 'b1', chargeScope: null })).toBe(true);
    expect(isAffectedOwner(holdings, { buildingId: 'b2', chargeScope: null })).toBe(false);
    expect(isAffectedOwner(holdings, { buildingId: null, chargeScope: null })).toBe(true);
    expect(isAffectedOwner([], { buildingId: null, chargeScope: null })).toBe(false);
    expect(isAffectedOwner(holdings, { buildingId: 'b2', chargeScope: { level: 'building', buildingIds: ['b1'] } })).toBe(true);
    expect(isAffectedOwner(holdings, { buildingId: 'b1', chargeScope: { level: 'units', unitIds: ['u2'] } })).toBe(false);
    expect(isAffectedOwner(holdings, { buildingId: 'b2', chargeScope: { level: 'estate' } })).toBe(true);
  });
});
