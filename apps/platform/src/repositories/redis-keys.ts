/**
 * The whole Redis key layout of the platform, in one place. Every key and channel starts with
 * REDIS_PREFIX (several platforms may share one Redis); every Redis user builds its names here.
 *
 * | key                              | type      | holds                                                                  | TTL                         |
 * |----------------------------------|-----------|------------------------------------------------------------------------|-----------------------------|
 * | device:<deviceId>                | hash      | live state: v:<path> JSON, t:<path> ts, ts, online, statusTs, lastSeen  | none                        |
 * | last-seen                        | zset      | deviceId scored by its last message (ms), for the presence sweep        | none (members removed)      |
 * | dead-letters                     | list      | rejected messages (JSON), newest first                                  | none, capped at INGEST_DEAD_LETTER_CAP |
 * | rejects                          | hash      | reason → count of rejected messages                                     | none                        |
 * | alarm-rule-state                 | hash      | deviceId → JSON of its alarm rules' hold/clear state                    | none (field removed when empty) |
 * | alarm-rule-version               | hash      | RULE_STATE=shared: deviceId → version of its rule state (compare-and-set) | none                        |
 * | alarm-rule-ts                    | hash      | RULE_STATE=shared: deviceId → newest device ts evaluated (older inputs skipped) | none                  |
 * | alarm-rule-due                   | zset      | RULE_STATE=shared: deviceId scored by its next hold/delayed-clear deadline (ms) | none (members removed) |
 * | alarm-rule-held                  | zset      | RULE_STATE=shared: deviceId scored by the ts of its oldest input waiting in its inbox | none (members removed) |
 * | alarm-rule-inbox:<deviceId>      | zset      | RULE_STATE=shared: inputs waiting out the reorder window (JSON), scored by device ts | none (members removed when evaluated) |
 * | alarm-rule-outbox                | hash      | RULE_STATE=shared: op id → JSON of a raise/clear committed with the rule state, not yet executed | none (field removed when executed) |
 * | alarm-rule-outbox-due            | zset      | RULE_STATE=shared: op id scored by when any process may replay it (ms; a claim moves it on) | none (members removed when executed) |
 * | alarm-notify:<deviceId>          | zset      | notifications of a device in the last hour (sliding-window cap)         | 1 hour, renewed on each     |
 * | parking:fire-alarms              | hash      | active fire alarmId → communityId (gates in free flow)                  | none (field removed on clear) |
 * | parking:pending:<pendingId>      | string    | JSON of a gate decision waiting for a person                            | 24 hours                    |
 * | parking:reclaim:<bookingId>      | string    | JSON {by, at}: the slot's owner asked for the slot back                 | a week after the booking's end |
 * | lease:<duty>                     | string    | holder id of a singleton duty (lease.repository.ts)                     | a few seconds, renewed      |
 * | mqtt-connections                 | hash      | MQTT_CLUSTER=redis: deviceId → holder id of the broker process it is connected to | none (field removed on disconnect) |
 * | broker-alive:<holder>            | string    | MQTT_CLUSTER=redis: a broker process is alive (cluster-connections.repository.ts) | 15 s, renewed every 5 s     |
 * | mqtt:* and mqtt/*                | (aedes)   | MQTT_CLUSTER=redis: aedes-persistence-redis keys, mqemitter-redis topics | aedes' own                  |
 * | notice:<channel>                 | pub/sub   | cross-process notices (user-changed, device-changed, …)                 | —                           |
 * | socket.io*                       | pub/sub   | socket.io Redis adapter channels                                       | —                           |
 * | bull:<queue>:*                   | (BullMQ)  | the job queues (see job.repository.ts)                                  | BullMQ's own                |
 */
export function redisKeys(prefix: string) {
  const key = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    device: (deviceId: string) => key('device', deviceId),
    lastSeen: () => key('last-seen'),
    deadLetters: () => key('dead-letters'),
    rejects: () => key('rejects'),
    alarmRuleState: () => key('alarm-rule-state'),
    alarmRuleVersion: () => key('alarm-rule-version'),
    alarmRuleTs: () => key('alarm-rule-ts'),
    alarmRuleDue: () => key('alarm-rule-due'),
    alarmRuleHeld: () => key('alarm-rule-held'),
    alarmRuleInbox: (deviceId: string) => key('alarm-rule-inbox', deviceId),
    alarmRuleOutbox: () => key('alarm-rule-outbox'),
    alarmRuleOutboxDue: () => key('alarm-rule-outbox-due'),
    alarmNotifyWindow: (deviceId: string) => key('alarm-notify', deviceId),
    parkingFireAlarms: () => key('parking', 'fire-alarms'),
    parkingPending: (pendingId: string) => key('parking', 'pending', pendingId),
    parkingReclaim: (bookingId: string) => key('parking', 'reclaim', bookingId),
    notice: (channel: string) => key('notice', channel),
    lease: (duty: string) => key('lease', duty),
    mqttCluster: () => key('mqtt'),
    mqttConnections: () => key('mqtt-connections'),
    brokerAlive: (holder: string) => key('broker-alive', holder),
    socketIo: () => key('socket.io'),
    bullPrefix: () => key('bull'),
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** Channels of cross-process notices (RedisRepository.notify / listen). */
export type NoticeChannel = 'user-changed' | 'device-changed' | 'alarm-settings-changed' | 'alarm-rule-state-adopted';
