import { availableComplaintActions, complaintStatistics, complaintTransition, decideDeadline, defaultLedgerHours, defaultResolveHours, levelDeadline, nextLevel, type ComplaintFact, type ComplaintSnapshot } from './complaints';

const H = 3_600_000;
const t0 = Date.parse('2026-03-02T09:00:00+08:00');
const owner = { userId: 'owner-1', role: 'owner' as const };
const other = { userId: 'owner-2', role: 'owner' as const };
const property = { userId: 'staff-1', role: 'property_staff' as const };
const committee = { userId: 'rc-1', role: 'residents_committee' as const };
const street = { userId: 'street-1', role: 'street_officer' as const };

const filed = (over: Partial<ComplaintSnapshot> = {}): ComplaintSnapshot => ({
  state: 'open',
  level: 'property',
  category: 'repair',
  filedBy: owner.userId,
  deadline: levelDeadline('property', 'repair', t0),
  onLedger: false,
  resolvedAt: null,
  ...over,
});

describe('complaint deadlines (接诉即办)', () => {
  it('gives the property company a deadline per category, urgent repairs the same day, and a community may change it', () => {
    expect(levelDeadline('property', 'repair_urgent', t0)).toBe(t0 + 4 * H);
    expect(levelDeadline('property', 'repair', t0)).toBe(t0 + defaultResolveHours.repair * H);
    expect(levelDeadline('property', 'repair', t0, { resolveHours: { repair: 24 }, levelHours: {} })).toBe(t0 + 24 * H);
    expect(levelDeadline('street', 'repair', t0, { resolveHours: {}, levelHours: { street: 48 } })).toBe(t0 + 48 * H);
  });

  it('goes up in the order of 003_e395e48efd5a119e.txt (四)4: 一般问题不出社区、简单问题不出街道、重大问题不出区县', () => {
    expect(nextLevel('property')).toBe('residents_committee');
    expect(nextLevel('residents_committee')).toBe('street');
    expect(nextLevel('street')).toBe('district');
    expect(nextLevel('district')).toBeNull();
  });

  it('escalates an unanswered item at each deadline, through the street to the district, then stays overdue', () => {
    let s = filed();
    expect(decideDeadline(s, { level: 'property', deadline: s.deadline }, s.deadline - 1)).toEqual({ kind: 'wait', until: s.deadline });
    for (const to of ['residents_committee', 'street', 'district'] as const) {
      const d = decideDeadline(s, { level: s.level, deadline: s.deadline }, s.deadline);
      expect(d).toMatchObject({ kind: 'escalate', to });
      if (d.kind !== 'escalate') throw new Error('expected an escalation');
      s = { ...s, level: d.to, deadline: d.deadline };
    }
    expect(decideDeadline(s, { level: 'district', deadline: s.deadline }, s.deadline + H)).toEqual({ kind: 'overdue' });
  });

  it('ignores stale timers: a resolved item, an item already moved up, a deadline since replaced', () => {
    const s = filed();
    const timer = { level: 'property' as const, deadline: s.deadline };
    expect(decideDeadline({ ...s, state: 'resolved' }, timer, s.deadline)).toEqual({ kind: 'none' });
    expect(decideDeadline({ ...s, level: 'street' }, timer, s.deadline)).toEqual({ kind: 'none' });
    expect(decideDeadline({ ...s, deadline: s.deadline + H }, timer, s.deadline)).toEqual({ kind: 'none' });
  });

  it('lets the street keep an item on its ledger (001_187fc5f9dc35b825.txt 三(一)2 挂账督办), holding the district back for the ledger period', () => {
    const s = filed({ level: 'street' });
    const now = t0 + 100 * H;
    expect(complaintTransition(s, committee, { action: 'ledger', note: 'x' }, now)).toMatchObject({ ok: false, status: 403 });
    expect(complaintTransition(filed(), street, { action: 'ledger', note: 'x' }, now)).toMatchObject({ ok: false, status: 409 });
    const r = complaintTransition(s, street, { action: 'ledger', note: '现场核实，挂账督办' }, now);
    expect(r).toMatchObject({ ok: true, next: { onLedger: true, deadline: now + defaultLedgerHours * H, level: 'street' } });
    if (!r.ok) throw new Error('expected ok');
    expect(complaintTransition(r.next, street, { action: 'ledger', note: 'again' }, now)).toMatchObject({ ok: false, status: 409 });
  });

  it('lets the property company resolve at any level and each supervisor from its own level on', () => {
    expect(complaintTransition(filed(), property, { action: 'resolve', note: 'fixed' }, t0 + H)).toMatchObject({ ok: true, next: { state: 'resolved', resolvedAt: t0 + H } });
    expect(complaintTransition(filed(), street, { action: 'resolve', note: 'x' }, t0)).toMatchObject({ ok: false, status: 403 });
    expect(complaintTransition(filed({ level: 'district' }), street, { action: 'resolve', note: 'x' }, t0)).toMatchObject({ ok: true });
    expect(complaintTransition(filed(), owner, { action: 'respond', note: 'x' }, t0)).toMatchObject({ ok: false, status: 403 });
    expect(complaintTransition(filed({ state: 'closed' }), property, { action: 'resolve', note: 'x' }, t0)).toMatchObject({ ok: false, status: 409 });
  });

  it('a reopened item goes one level up at once; only the filer reopens or rates, and only a resolved item', () => {
    const resolved = filed({ state: 'resolved', resolvedAt: t0 + H });
    expect(complaintTransition(resolved, other, { action: 'reopen', note: 'still leaking' }, t0 + 2 * H)).toMatchObject({ ok: false, status: 403 });
    expect(complaintTransition(resolved, owner, { action: 'reopen', note: 'still leaking' }, t0 + 9 * 24 * H)).toMatchObject({ ok: false, status: 409 });
    const r = complaintTransition(resolved, owner, { action: 'reopen', note: 'still leaking' }, t0 + 2 * H);
    expect(r).toMatchObject({ ok: true, escalatedTo: 'residents_committee', next: { state: 'open', level: 'residents_committee', resolvedAt: null, deadline: t0 + 2 * H + 72 * H } });
    expect(complaintTransition(filed(), owner, { action: 'rate', satisfaction: 5 }, t0)).toMatchObject({ ok: false, status: 409 });
    expect(complaintTransition(resolved, property, { action: 'rate', satisfaction: 5 }, t0)).toMatchObject({ ok: false, status: 403 });
    expect(complaintTransition(resolved, owner, { action: 'rate', satisfaction: 4 }, t0)).toMatchObject({ ok: true, next: { state: 'closed' } });
  });
});

describe('complaint statistics (004_592cdd860f3d4a71.txt 三(二)5 智慧监督)', () => {
  const fact = (over: Partial<ComplaintFact>): ComplaintFact => ({
    communityId: 'c1',
    filedBy: 'u1',
    category: 'repair',
    state: 'closed',
    filedAt: t0,
    respondedAt: null,
    resolvedAt: null,
    deadline: t0 + 72 * H,
    satisfaction: null,
    reopened: 0,
    ...over,
  });

  it('counts open and overdue items, times from filing, satisfaction, reopened and repeat complaints per community', () => {
    const stats = complaintStatistics(
      [
        fact({ respondedAt: t0 + 30 * 60_000, resolvedAt: t0 + 2 * H, satisfaction: 4 }),
        fact({ filedAt: t0 + 10 * 24 * H, respondedAt: t0 + 10 * 24 * H + 90 * 60_000, resolvedAt: t0 + 10 * 24 * H + 4 * H, satisfaction: 2, reopened: 1 }), // same filer and category within 30 days: a repeat
        fact({ filedAt: t0 + 50 * 24 * H, state: 'open', deadline: t0 + 53 * 24 * H }), // 40 days later: not a repeat; overdue at 'now'
        fact({ filedBy: 'u2', state: 'open', deadline: t0 + 100 * 24 * H }),
        fact({ communityId: 'c2', category: 'fees' }),
      ],
      t0 + 60 * 24 * H,
    );
    expect(stats.get('c1')).toEqual({ count: 4, open: 2, overdue: 1, reopened: 1, repeat: 1, avgResponseMinutes: 60, avgResolutionMinutes: 180, rated: 2, avgSatisfaction: 3 });
    expect(stats.get('c2')).toMatchObject({ count: 1, open: 0, repeat: 0, avgSatisfaction: null, avgResponseMinutes: null });
  });
});

describe('what a complaint desk offers (availableComplaintActions: the state machine asked, not copied)', () => {
  it('the property company may answer and resolve an open item at any level; a supervisor from its own level on; the street alone keeps it on its ledger', () => {
    expect(availableComplaintActions(filed(), property, t0)).toEqual(['respond', 'resolve']);
    expect(availableComplaintActions(filed(), committee, t0)).toEqual([]);
    expect(availableComplaintActions(filed({ level: 'residents_committee' }), committee, t0)).toEqual(['respond', 'resolve']);
    expect(availableComplaintActions(filed({ level: 'street' }), street, t0)).toEqual(['respond', 'resolve', 'ledger']);
    expect(availableComplaintActions(filed({ level: 'street', onLedger: true }), street, t0)).toEqual(['respond', 'resolve']);
  });

  it('once resolved only the filer acts: reopen within the window, or rate', () => {
    const resolved = filed({ state: 'resolved', resolvedAt: t0 });
    expect(availableComplaintActions(resolved, property, t0 + H)).toEqual([]);
    expect(availableComplaintActions(resolved, owner, t0 + H)).toEqual(['reopen', 'rate']);
    expect(availableComplaintActions(resolved, other, t0 + H)).toEqual([]);
    expect(availableComplaintActions(resolved, owner, t0 + 8 * 24 * H)).toEqual(['rate']);
  });
});
