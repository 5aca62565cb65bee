/** MQTT topic layout of contract §2. Devices use only their own topics. */
export const TOPIC_PREFIX = 'v1/devices';

export const topicChannels = ['telemetry', 'events', 'status', 'commands', 'commands/ack'] as const;
export type TopicChannel = (typeof topicChannels)[number];

export const deviceTopic = (deviceId: string, channel: TopicChannel): string => `${TOPIC_PREFIX}/${deviceId}/${channel}`;

export interface ParsedTopic {
  deviceId: string;
  channel: TopicChannel;
}

const topicPattern = /^v1\/devices\/([A-Za-z0-9_-]{1,64})\/(telemetry|events|status|commands|commands\/ack)$/;

/** Parses `v1/devices/{id}/{channel}`; undefined for any other topic. */
export function parseDeviceTopic(topic: string): ParsedTopic | undefined {
  const match = topicPattern.exec(topic);
  return match ? { deviceId: match[1], channel: match[2] as TopicChannel } : undefined;
}

/** Channels a device may publish to, and the one it may subscribe to. */
export const devicePublishChannels: readonly TopicChannel[] = ['telemetry', 'events', 'status', 'commands/ack'];
export const deviceSubscribeChannel: TopicChannel = 'commands';

export type MqttAccess = 'publish' | 'subscribe';

/**
 * Contract §2 for a device: it publishes only to its own topics and subscribes only to its own
 * commands topic. Every broker the platform controls (embedded, EMQX hooks) decides with this.
 */
export function deviceMayAccess(deviceId: string, access: MqttAccess, topic: string): boolean {
  if (access === 'subscribe') return topic === deviceTopic(deviceId, deviceSubscribeChannel);
  const parsed = parseDeviceTopic(topic);
  return parsed !== undefined && parsed.deviceId === deviceId && devicePublishChannels.includes(parsed.channel);
}

/** What the platform subscribes to on an external broker: each process takes a share of the devices' upstream channels. */
export function platformSubscriptions(shareGroup: string): string[] {
  return devicePublishChannels.map((channel) => `$share/${shareGroup}/${TOPIC_PREFIX}/+/${channel}`);
}

/**
 * The platform's own broker user: its shared subscriptions (also in the plain form, which some
 * brokers check instead) and commands to any device; nothing else.
 */
export function platformMayAccess(shareGroup: string, access: MqttAccess, topic: string): boolean {
  if (access === 'publish') return parseDeviceTopic(topic)?.channel === deviceSubscribeChannel;
  return devicePublishChannels.some(
    (channel) => topic === `${TOPIC_PREFIX}/+/${channel}` || topic === `$share/${shareGroup}/${TOPIC_PREFIX}/+/${channel}`,
  );
}

/** Limits applied to every device message (contract §2). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
