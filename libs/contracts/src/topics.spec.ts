import { deviceMayAccess, deviceTopic, parseDeviceTopic, platformMayAccess, platformSubscriptions } from './topics';

describe('device topics', () => {
  it('round-trips every channel', () => {
    for (const channel of ['telemetry', 'events', 'status', 'commands', 'commands/ack'] as const) {
      expect(parseDeviceTopic(deviceTopic('lift_01-A', channel))).toEqual({ deviceId: 'lift_01-A', channel });
    }
  });

  it('refuses other topics and bad ids', () => {
    for (const topic of ['v1/devices/a/other', 'v1/devices/a b/telemetry', 'v2/devices/a/telemetry', 'v1/devices/+/telemetry', `v1/devices/${'x'.repeat(65)}/telemetry`]) {
      expect(parseDeviceTopic(topic)).toBeUndefined();
    }
  });
});

describe('topic permissions (contract §2)', () => {
  it('lets a device publish to its own upstream channels only', () => {
    for (const channel of ['telemetry', 'events', 'status', 'commands/ack'] as const) {
      expect(deviceMayAccess('lift-1', 'publish', deviceTopic('lift-1', channel))).toBe(true);
      expect(deviceMayAccess('lift-1', 'publish', deviceTopic('lift-2', channel))).toBe(false);
    }
    expect(deviceMayAccess('lift-1', 'publish', deviceTopic('lift-1', 'commands'))).toBe(false);
    expect(deviceMayAccess('lift-1', 'publish', 'v1/devices/lift-1/other')).toBe(false);
    expect(deviceMayAccess('lift-1', 'publish', '$SYS/broker/uptime')).toBe(false);
  });

  it('lets a device subscribe to exactly its own commands topic', () => {
    expect(deviceMayAccess('lift-1', 'subscribe', 'v1/devices/lift-1/commands')).toBe(true);
    for (const topic of ['v1/devices/lift-2/commands', 'v1/devices/+/commands', 'v1/devices/lift-1/#', '#', 'v1/devices/lift-1/telemetry', '$share/g/v1/devices/lift-1/commands']) {
      expect(deviceMayAccess('lift-1', 'subscribe', topic)).toBe(false);
    }
  });

  it("lets the platform take its group's share of the upstream channels and command any device", () => {
    for (const filter of platformSubscriptions('spp')) expect(platformMayAccess('spp', 'subscribe', filter)).toBe(true);
    expect(platformSubscriptions('spp')).toContain('$share/spp/v1/devices/+/commands/ack');
    expect(platformMayAccess('spp', 'subscribe', 'v1/devices/+/telemetry')).toBe(true);
    expect(platformMayAccess('spp', 'subscribe', '$share/other/v1/devices/+/telemetry')).toBe(false);
    expect(platformMayAccess('spp', 'subscribe', 'v1/devices/+/commands')).toBe(false);
    expect(platformMayAccess('spp', 'subscribe', '#')).toBe(false);
    expect(platformMayAccess('spp', 'publish', 'v1/devices/gate-7/commands')).toBe(true);
    expect(platformMayAccess('spp', 'publish', 'v1/devices/gate-7/telemetry')).toBe(false);
    expect(platformMayAccess('spp', 'publish', 'v1/devices/+/commands')).toBe(false);
  });
});
