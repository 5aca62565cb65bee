import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of this process, served at GET /metrics. */
@Injectable()
export class MetricsRepository {
  readonly registry = new Registry();

  readonly ingestMessages = new Counter({
    name: 'spp_ingest_messages_total',
    help: 'Device messages accepted, by device kind and topic channel',
    labelNames: ['kind', 'channel'] as const,
    registers: [this.registry],
  });
  readonly ingestRejected = new Counter({
    name: 'spp_ingest_rejected_total',
    help: 'Device messages refused and dead-lettered, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly influxPointsWritten = new Counter({
    name: 'spp_influx_points_written_total',
    help: 'Points written to InfluxDB',
    registers: [this.registry],
  });
  readonly influxPointsDropped = new Counter({
    name: 'spp_influx_points_dropped_total',
    help: 'Points dropped: buffer overflow while InfluxDB was unreachable, or refused as malformed',
    registers: [this.registry],
  });
  readonly influxPointsPending = new Gauge({
    name: 'spp_influx_points_pending',
    help: 'Points waiting to be written to InfluxDB',
    registers: [this.registry],
  });
  readonly influxWriteFailures = new Counter({
    name: 'spp_influx_write_failures_total',
    help: 'Failed InfluxDB write requests (retried)',
    registers: [this.registry],
  });
  readonly influxWriteSeconds = new Histogram({
    name: 'spp_influx_write_seconds',
    help: 'Latency of InfluxDB batch writes',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly mqttAuthFailures = new Counter({
    name: 'spp_mqtt_auth_failures_total',
    help: 'Refused MQTT connections, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly mqttConnectionsRefused = new Counter({
    name: 'spp_mqtt_connections_refused_total',
    help: 'MQTT connections closed by the embedded broker before authentication, by reason (packet_too_large, malformed_length, per_address_cap, capacity, connect_timeout)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly mqttRetainDropped = new Counter({
    name: 'spp_mqtt_retain_dropped_total',
    help: 'Device publishes (and last wills) asking to be retained, passed on without a retained copy: nobody may subscribe to device topics on the embedded broker',
    registers: [this.registry],
  });
  readonly mqttAclDenied = new Counter({
    name: 'spp_mqtt_acl_denied_total',
    help: 'Publishes and subscriptions refused by topic permissions or rate limit, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  readonly brokerRegistryChanges = new Counter({
    name: 'spp_broker_registry_changes_total',
    help: 'Device changes told to an external broker (MQTT_BROKER_AUTH), by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly brokerRegistryDifferences = new Gauge({
    name: 'spp_broker_registry_differences',
    help: "Differences between the broker's clients and the device registry at the last reconciliation, by kind",
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly brokerRegistryReconciliations = new Counter({
    name: 'spp_broker_registry_reconciliations_total',
    help: 'Reconciliations of the broker with the device registry, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly brokerHookRequests = new Counter({
    name: 'spp_broker_hook_requests_total',
    help: "Requests to the broker's authentication and authorisation hooks, by hook and result",
    labelNames: ['hook', 'result'] as const,
    registers: [this.registry],
  });
  readonly mqttClients = new Gauge({
    name: 'spp_mqtt_connected_clients',
    help: 'Clients connected to the embedded broker',
    registers: [this.registry],
  });
  readonly socketClients = new Gauge({
    name: 'spp_socket_clients',
    help: 'Connected socket.io clients',
    registers: [this.registry],
  });
  readonly socketDropped = new Counter({
    name: 'spp_socket_dropped_total',
    help: 'Live updates not sent to a socket.io client, by reason (slow_consumer: more than SOCKET_SLOW_BYTES waiting unsent to it)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly queueJobs = new Gauge({
    name: 'spp_queue_jobs',
    help: 'BullMQ jobs by queue and state (read at scrape time)',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });
  readonly liveStatePending = new Gauge({
    name: 'spp_live_state_pending',
    help: 'Devices whose latest state waits to be written to Redis',
    registers: [this.registry],
  });
  readonly parkingGateDecisions = new Counter({
    name: 'spp_parking_gate_decisions_total',
    help: 'Parking gate answers to vehicle events, by command and reason',
    labelNames: ['cmd', 'reason'] as const,
    registers: [this.registry],
  });
  readonly parkingGateDecisionSeconds = new Histogram({
    name: 'spp_parking_gate_decision_seconds',
    help: 'Time from a vehicle event on the bus to its gate command handed to the broker',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01],
    registers: [this.registry],
  });

  readonly alarmsRaised = new Counter({
    name: 'spp_alarms_raised_total',
    help: 'Alarms opened (repeats not counted), by type and severity',
    labelNames: ['type', 'severity'] as const,
    registers: [this.registry],
  });
  /** RULE_STATE=shared (services/alarm-detection.service.ts). */
  readonly alarmRuleInputsOutOfOrder = new Counter({
    name: 'spp_alarm_rule_inputs_out_of_order_total',
    help: 'Inputs (readings, events, presence) stored but not evaluated by the alarm rules: older (device ts) than the newest one evaluated for the device, i.e. later than RULE_REORDER_WINDOW_MS (RULE_STATE=shared)',
    registers: [this.registry],
  });
  readonly alarmRuleCasConflicts = new Counter({
    name: 'spp_alarm_rule_cas_conflicts_total',
    help: "Drains of a device's alarm rule inputs repeated because another process committed its rule state first (RULE_STATE=shared)",
    registers: [this.registry],
  });
  readonly alarmRuleEvaluations = new Counter({
    name: 'spp_alarm_rule_evaluations_total',
    help: 'Inputs evaluated against shared rule state plus one deadline tick per drain, each drain attempt counted (RULE_STATE=shared)',
    registers: [this.registry],
  });
  readonly alarmRuleOpsReplayed = new Counter({
    name: 'spp_alarm_rule_ops_replayed_total',
    help: 'Raises and clears committed with shared rule state and replayed from the rule outbox by the sweep (the process that committed them died or failed to execute them); superseded: the rule state had moved past them (RULE_STATE=shared)',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly alarmNotifications = new Counter({
    name: 'spp_alarm_notifications_total',
    help: 'Alarm notifications, by channel (inbox, webhook) and outcome (sent, capped, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookRefused = new Counter({
    name: 'spp_webhook_refused_total',
    help: 'Webhook URLs refused by the address guard, by stage (create, delivery) and reason (loopback, private, metadata, redirect, …)',
    labelNames: ['stage', 'reason'] as const,
    registers: [this.registry],
  });

  readonly webhookDropped = new Counter({
    name: 'spp_webhook_dropped_total',
    help: 'Webhook deliveries given up, by webhook and reason (queue_full: the endpoint already had WEBHOOK_ENDPOINT_QUEUE waiting; retries_exhausted; retry_not_queued: Redis refused the retry job)',
    labelNames: ['webhook', 'reason'] as const,
    registers: [this.registry],
  });
  readonly webhookTimeouts = new Counter({
    name: 'spp_webhook_timeouts_total',
    help: 'Webhook calls that did not finish within WEBHOOK_TIMEOUT_MS, by webhook',
    labelNames: ['webhook'] as const,
    registers: [this.registry],
  });
  readonly webhookQueued = new Gauge({
    name: 'spp_webhook_queued',
    help: 'Webhook deliveries waiting for a free call to their endpoint, by webhook',
    labelNames: ['webhook'] as const,
    registers: [this.registry],
  });

  readonly visitorCodes = new Counter({
    name: 'spp_visitor_codes_total',
    help: "Visitors' requests for an SMS code (issue 13 §7), by outcome (sent, throttled_phone, throttled_address: refused by the send rate limits, gateway_error: the SMS gateway did not send)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly visitorSignIns = new Counter({
    name: 'spp_visitor_sign_ins_total',
    help: "Visitors' tries of an SMS code, by outcome (success, wrong_code, expired, too_many_tries, no_code)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly loginAttempts = new Counter({
    name: 'spp_auth_login_attempts_total',
    help: 'Password logins, by outcome (success, failure, throttled: refused while backing off, overloaded: the hashing queue was full)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly refreshAttempts = new Counter({
    name: 'spp_auth_refresh_total',
    help: 'Refresh-token uses, by outcome (rotated, refused, reuse: a rotated token presented again, its family revoked)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly sessionsEnded = new Counter({
    name: 'spp_socket_sessions_ended_total',
    help: 'socket.io connections closed by the platform, by reason (expired token, user changed or disabled)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly singletonDutiesHeld = new Gauge({
    name: 'spp_singleton_duty_held',
    help: 'Singleton duties (sweeps, reconciliation, InfluxDB set-up) whose lease this process holds: 1 held, 0 not',
    labelNames: ['duty'] as const,
    registers: [this.registry],
  });

  /** Footprint (issue 11): the embedded database's WebAssembly memory, which never shrinks once grown. */
  readonly embeddedDatabaseMemory = new Gauge({
    name: 'spp_pglite_wasm_memory_bytes',
    help: 'Size of embedded PGlite\'s WebAssembly memory (0 with DATABASE_URL); the resident part is what the database touched',
    registers: [this.registry],
  });

  // The ingestion write-ahead log (IngestWalRepository): what waits there for InfluxDB.
  readonly walBacklogBytes = new Gauge({
    name: 'spp_ingest_wal_backlog_bytes',
    help: 'Bytes of the ingestion write-ahead log not yet stored in InfluxDB',
    registers: [this.registry],
  });
  readonly walBacklogPoints = new Gauge({
    name: 'spp_ingest_wal_backlog_points',
    help: 'Points in the ingestion write-ahead log not yet stored in InfluxDB',
    registers: [this.registry],
  });
  readonly walOldestAgeSeconds = new Gauge({
    name: 'spp_ingest_wal_oldest_age_seconds',
    help: 'Age of the oldest point in the ingestion write-ahead log not yet stored in InfluxDB',
    registers: [this.registry],
  });
  readonly walHeldBack = new Gauge({
    name: 'spp_ingest_wal_held_back_messages',
    help: 'QoS 1 messages held unacknowledged because the write-ahead log reached INGEST_WAL_MAX_BYTES',
    registers: [this.registry],
  });
  readonly walWriteError = new Gauge({
    name: 'spp_ingest_wal_write_error',
    help: '1 while the write-ahead log cannot be written (e.g. disk full): publishers are held back',
    registers: [this.registry],
  });
  readonly walWriteFailures = new Counter({
    name: 'spp_ingest_wal_write_failures_total',
    help: 'Failed group commits of the write-ahead log, by error code (retried)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly walCommitSeconds = new Histogram({
    name: 'spp_ingest_wal_commit_seconds',
    help: 'Duration of one group commit (write + fdatasync) of the write-ahead log',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly ingestBestEffort = new Counter({
    name: 'spp_ingest_best_effort_total',
    help: 'QoS 0 device messages (best effort: acknowledged by nobody), by outcome (logged, or dropped while the log was full or unwritable)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Issue 13 §7: payment notifications from online providers, by provider (wechat, alipay) and outcome (paid, duplicate, bad_signature, amount_mismatch, unknown_order, not_success, bill_settled, wrong_merchant, malformed). */
  readonly paymentNotifications = new Counter({
    name: 'spp_payment_notifications_total',
    help: 'Payment notifications received from online providers, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'spp_' });
  }
}
