import { planChangesBroker, planReconciliation, type BrokerClient } from './broker-reconciliation';

const managed = (username: string, extra: Partial<BrokerClient> = {}): BrokerClient => ({ username, disabled: false, managed: true, needsSecret: false, hasDeviceRole: true, ...extra });
const none = new Set<string>();

describe('reconciling the broker with the device registry', () => {
  it('changes nothing when both agree', () => {
    const plan = planReconciliation(
      [
        { id: 'lift-1', disabled: false },
        { id: 'gate-1', disabled: true },
      ],
      [managed('lift-1'), managed('gate-1', { disabled: true }), { username: 'spp-platform', disabled: false, managed: false, needsSecret: false, hasDeviceRole: false }],
      new Set(['spp-platform']),
    );
    expect(planChangesBroker(plan)).toBe(false);
    expect(plan.needsSecret).toEqual([]);
    expect(plan.unknown).toEqual([]);
  });

  it('creates a device the broker lost, disabled until its secret is rotated', () => {
    const plan = planReconciliation([{ id: 'lift-1', disabled: false }], [], none);
    expect(plan.create).toEqual(['lift-1']);
    expect(plan.needsSecret).toEqual(['lift-1']);
    expect(plan.enable).toEqual([]);
  });

  it('keeps waiting for the rotation on later runs, and never enables such a client', () => {
    const plan = planReconciliation([{ id: 'lift-1', disabled: false }], [managed('lift-1', { disabled: true, needsSecret: true })], none);
    expect(plan.enable).toEqual([]);
    expect(plan.needsSecret).toEqual(['lift-1']);
    expect(planChangesBroker(plan)).toBe(false);
  });

  it('disables at the broker what the registry disabled, and enables what it enabled', () => {
    const plan = planReconciliation(
      [
        { id: 'lift-1', disabled: true },
        { id: 'gate-1', disabled: false },
      ],
      [managed('lift-1'), managed('gate-1', { disabled: true })],
      none,
    );
    expect(plan.disable).toEqual(['lift-1']);
    expect(plan.enable).toEqual(['gate-1']);
  });

  it("disables the platform's clients the registry does not know, and leaves other broker users alone", () => {
    const plan = planReconciliation(
      [],
      [managed('ghost-1'), managed('ghost-2', { disabled: true }), { username: 'monitor', disabled: false, managed: false, needsSecret: false, hasDeviceRole: false }],
      none,
    );
    expect(plan.unknown).toEqual(['ghost-1', 'ghost-2']);
    expect(plan.disable).toEqual(['ghost-1']);
  });

  it('adopts a client made by hand for a registered device, keeping its password, and gives it its permissions', () => {
    const plan = planReconciliation([{ id: 'lift-1', disabled: true }], [{ username: 'lift-1', disabled: false, managed: false, needsSecret: false, hasDeviceRole: false }], none);
    expect(plan.adopt).toEqual(['lift-1']);
    expect(plan.grant).toEqual(['lift-1']);
    expect(plan.disable).toEqual(['lift-1']);
    expect(plan.create).toEqual([]);
  });

  it("never touches the platform's own broker user, even when a device has its name", () => {
    const own = { username: 'spp-platform', disabled: false, managed: false, needsSecret: false, hasDeviceRole: false };
    const plan = planReconciliation([{ id: 'spp-platform', disabled: true }], [own], new Set(['spp-platform']));
    expect(planChangesBroker(plan)).toBe(false);
    expect(plan.unknown).toEqual([]);
  });

  it("gives a device's client its topic permissions back when they were removed", () => {
    const plan = planReconciliation([{ id: 'lift-1', disabled: false }], [managed('lift-1', { hasDeviceRole: false })], none);
    expect(plan.grant).toEqual(['lift-1']);
    expect(planChangesBroker(plan)).toBe(true);
  });
});
