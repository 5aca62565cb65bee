import { deviceTopic, parseDeviceTopic } from './topics';

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
