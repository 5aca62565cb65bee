import { escalationChainSchema } from '@app/contracts';
import { defaultChain, escalationTimeline, jobPriority, nextEscalation, startTiers, tierRecipients, wantsNotification } from './alarm-escalation';
import { signedDelivery, textOf, verifySignature } from './alarm-webhook';

const community = { id: 'c1', street: 'Tianping', district: 'Xuhui' };
const users = [
  { id: 'duty', role: 'property_staff', scopeLevel: 'community' as const, communityIds: ['c1'], street: null, district: null },
  { id: 'duty-other', role: 'property_staff', scopeLevel: 'community' as const, communityIds: ['c2'], street: null, district: null },
  { id: 'maint', role: 'maintenance_staff', scopeLevel: 'community' as const, communityIds: ['c1'], street: null, district: null },
  { id: 'station', role: 'maintenance_staff', scopeLevel: 'street' as const, communityIds: [], street: 'Tianping', district: 'Xuhui' },
  { id: 'station-far', role: 'maintenance_staff', scopeLevel: 'street' as const, communityIds: [], street: 'Other', district: 'Xuhui' },
  { id: 'officer', role: 'street_officer', scopeLevel: 'street' as const, communityIds: [], street: 'Tianping', district: 'Xuhui' },
  { id: 'district', role: 'district_authority', scopeLevel: 'district' as const, communityIds: [], street: null, district: 'Xuhui' },
];

describe('default escalation chains (domain rules §1.6)', () => {
  it('trapped passengers: duty room 30 s, maintenance 3 min, tier 2, authorities; arrival 30 min; reminders', () => {
    const chain = defaultChain('trapped_not_level', 1);
    expect(chain.tiers.map((t) => [t.name, t.ackWithinS])).toEqual([
      ['duty_room', 30],
      ['maintenance', 180],
      ['rescue_tier2', 300],
      ['authorities', 600],
    ]);
    expect(chain.arrivalWithinS).toBe(1800);
    expect(chain.reminderEveryS).toBeGreaterThan(0);
    expect(defaultChain('emergency_call', 1)).toBe(chain);
    expect(chain.tiers.map((t) => t.notifyAtStart)).toEqual([false, true, false, false]);
  });

  it('trapped passengers: duty room and maintenance company are both told at the raise; tier 2 when maintenance lets its 3 min lapse', () => {
    const chain = defaultChain('trapped_not_level', 1);
    expect(startTiers(chain)).toEqual([0, 1]);
    // the duty room's 30 s lapse escalates nobody: maintenance was told at the raise
    expect(nextEscalation(chain, 0)).toBeUndefined();
    expect(nextEscalation(chain, 1)).toEqual({ tier: 2, afterMs: 180_000 });
    expect(nextEscalation(chain, 2)).toEqual({ tier: 3, afterMs: 300_000 });
    expect(nextEscalation(chain, 3)).toBeUndefined();
    expect(escalationTimeline(chain)).toEqual([
      { tier: 0, atMs: 0, kind: 'notify' },
      { tier: 1, atMs: 0, kind: 'notify' },
      { tier: 2, atMs: 180_000, kind: 'escalation' },
      { tier: 3, atMs: 480_000, kind: 'escalation' },
    ]);
  });

  it('without the flag tiers stay strictly sequential (each deadline counts from when the tier was told)', () => {
    const chain = defaultChain('fire', 1);
    expect(startTiers(chain)).toEqual([0]);
    expect(escalationTimeline(chain)).toEqual([
      { tier: 0, atMs: 0, kind: 'notify' },
      { tier: 1, atMs: 60_000, kind: 'escalation' },
    ]);
    const custom = escalationChainSchema.parse({
      tiers: [
        { name: 'a', roles: ['property_staff'], ackWithinS: 10 },
        { name: 'b', roles: ['maintenance_staff'], ackWithinS: 20 },
        { name: 'c', roles: ['maintenance_staff'], ackWithinS: 5, notifyAtStart: true },
        { name: 'd', roles: ['street_officer'], ackWithinS: 0 },
      ],
    });
    expect(custom.tiers.map((t) => t.notifyAtStart)).toEqual([false, false, true, false]); // default false
    expect(escalationTimeline(custom)).toEqual([
      { tier: 0, atMs: 0, kind: 'notify' },
      { tier: 2, atMs: 0, kind: 'notify' },
      { tier: 3, atMs: 5_000, kind: 'escalation' },
      { tier: 1, atMs: 10_000, kind: 'escalation' },
    ]);
    // b's lapse does not tell c again (c was told at the raise); a tier with no deadline ends the chain
    expect(nextEscalation(custom, 1)).toBeUndefined();
    expect(nextEscalation(custom, 3)).toBeUndefined();
    expect(nextEscalation(custom, 9)).toBeUndefined();
  });

  it('the flag is checked as a boolean by the contract', () => {
    const bad = escalationChainSchema.safeParse({ tiers: [{ name: 'a', roles: ['property_staff'], ackWithinS: 1, notifyAtStart: 'yes' }] });
    expect(bad.success).toBe(false);
  });

  it('resolves each tier to the right people of the community', () => {
    const chain = defaultChain('trapped_at_level', 1);
    expect(tierRecipients(chain.tiers[0], users, community)).toEqual(['duty']);
    expect(tierRecipients(chain.tiers[1], users, community)).toEqual(['maint']);
    expect(tierRecipients(chain.tiers[2], users, community)).toEqual(['station']);
    expect(tierRecipients(chain.tiers[3], users, community).sort()).toEqual(['district', 'officer']);
    expect(tierRecipients({ name: 'named', userIds: ['x'], ackWithinS: 0 }, users, community)).toEqual(['x']);
  });

  it('fire and trapped passengers go first in every queue', () => {
    expect(jobPriority('fire', 1)).toBe(1);
    expect(jobPriority('trapped_not_level', 1)).toBe(1);
    expect(jobPriority('top_overtravel', 2)).toBeGreaterThan(1);
    expect(jobPriority('offline', 3)).toBeGreaterThan(jobPriority('top_overtravel', 2));
  });

  it('preferences filter by severity and type; no preferences means everything', () => {
    expect(wantsNotification(undefined, 4, 'offline')).toBe(true);
    expect(wantsNotification({ severities: [1, 2], types: [] }, 3, 'offline')).toBe(false);
    expect(wantsNotification({ severities: [], types: ['fire'] }, 3, 'offline')).toBe(false);
    expect(wantsNotification({ severities: [1], types: ['fire'] }, 1, 'fire')).toBe(true);
  });
});

describe('webhook deliveries', () => {
  const alarm = {
    alarmId: '6f1c2f7e-3b1a-4c9e-9c51-1f8c1d3e2a10',
    deviceId: 'lift-1',
    communityId: '5e7d1a40-2f0b-4f7e-8d7a-0c1b2a3d4e5f',
    type: 'trapped_not_level',
    severity: 1,
    state: 'active' as const,
    acknowledged: false,
    count: 1,
    source: 'platform' as const,
    escalationTier: 1,
    assigneeId: null,
    ts: 1_767_600_000_000,
  };
  const msg = { kind: 'escalation' as const, tier: 1, tierName: 'maintenance', alarm };

  it('json: HMAC-SHA256 over timestamp and body in a header', () => {
    const d = signedDelivery('json', 'http://example.test/hook', 'secret-secret-1234', msg, 1_767_600_001_000);
    expect(JSON.parse(d.body)).toMatchObject({ event: 'alarm.escalation', tier: 1, alarm: { alarmId: alarm.alarmId } });
    expect(d.headers['x-spp-timestamp']).toBe('1767600001000');
    expect(verifySignature('secret-secret-1234', d.headers['x-spp-timestamp'], d.body, d.headers['x-spp-signature'])).toBe(true);
    expect(verifySignature('secret-secret-1234', d.headers['x-spp-timestamp'], d.body + ' ', d.headers['x-spp-signature'])).toBe(false);
  });

  it('wecom and dingtalk robots: text messages; dingtalk signs in the query', () => {
    const w = signedDelivery('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', 's', msg, 1);
    expect(JSON.parse(w.body)).toEqual({ msgtype: 'text', text: { content: textOf(msg) } });
    expect(textOf(msg)).toContain('告警升级');
    const d = signedDelivery('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=t', 'SEC1', msg, 1000);
    const u = new URL(d.url);
    expect(u.searchParams.get('access_token')).toBe('t');
    expect(u.searchParams.get('timestamp')).toBe('1000');
    expect(u.searchParams.get('sign')).toMatch(/^[A-Za-z0-9+/=]+$/);
  });
});
