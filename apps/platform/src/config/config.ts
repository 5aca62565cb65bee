import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The platform's configuration: environment variables only (contract §1), parsed and validated
 * here once. Nothing else in the platform reads process.env.
 */
export const platformRoles = ['broker', 'ingest', 'api', 'worker'] as const;
export type PlatformRole = (typeof platformRoles)[number];
export const brokerAuthModes = ['manual', 'mosquitto-dynsec', 'emqx-http'] as const;
export type BrokerAuthMode = (typeof brokerAuthModes)[number];
/** Where FAULT_INJECT may kill the process (tests of crash recovery; repositories/fault.repository.ts). */
export const faultPoints = ['crash-after-alarm-insert', 'crash-after-gate-exit', 'crash-after-rule-commit'] as const;
export type FaultPoint = (typeof faultPoints)[number];

const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((v, ctx) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `must be a port number 0-65535, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const nonNegativeInt = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((v, ctx) => {
      if (!/^\d+$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `must be 0 or a positive integer, got "${v}"` });
        return z.NEVER;
      }
      return Number(v);
    });

const positiveInt = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((v, ctx) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1) {
        ctx.addIssue({ code: 'custom', message: `must be a positive integer, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** A PostgreSQL memory size in kB or MB ("16MB"), within [minKb, maxKb]; kept as PostgreSQL writes it. */
const pgMemory = (fallback: string, minKb: number, maxKb: number) =>
  z
    .string()
    .default(fallback)
    .refine(
      (v) => {
        const m = /^(\d+)(kB|MB)$/.exec(v);
        const kb = m ? Number(m[1]) * (m[2] === 'MB' ? 1024 : 1) : NaN;
        return kb >= minKb && kb <= maxKb;
      },
      { message: `must be a size in kB or MB (e.g. "${fallback}") from ${minKb}kB to ${maxKb / 1024}MB` },
    );

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${protocols.map((p) => p.replace(':', '://')).join(' or ')}` },
  );

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HTTP_PORT: port(3000),
    HTTP_HOST: z.string().default('0.0.0.0'),
    MQTT_URL: url(['mqtt:', 'mqtts:']).optional(),
    MQTT_PORT: port(1883),
    MQTT_WS_PORT: port(8083),
    /** Shared-subscription group used against an external broker so several processes split the load. */
    MQTT_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spp-platform'),
    /**
     * A stable client id for this process on an external broker. Set, the session is persistent:
     * messages of the process's share that arrive while it restarts wait for it at the broker.
     */
    MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    MQTT_SESSION_EXPIRY_S: positiveInt(3600),
    MQTT_USERNAME: z.string().optional(),
    MQTT_PASSWORD: z.string().optional(),
    /** Who keeps device credentials at an external broker (contract §1). */
    MQTT_BROKER_AUTH: z.enum(brokerAuthModes).default('manual'),
    /** emqx-http: the address and port EMQX calls the platform's authentication hooks on (not the public HTTP port). */
    BROKER_AUTH_HOST: z.string().default('127.0.0.1'),
    BROKER_AUTH_PORT: port(3100),
    /** emqx-http: the shared secret EMQX sends with every hook request (a bearer token). */
    BROKER_AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** emqx-http: EMQX's REST API, used to disconnect a device at once when it is disabled or re-keyed. */
    BROKER_API_URL: url(['http:', 'https:']).optional(),
    BROKER_API_KEY: z.string().optional(),
    BROKER_API_SECRET: z.string().optional(),
    /** mosquitto-dynsec: how often the broker's clients are compared with the registry (also at start and on reconnect). */
    BROKER_RECONCILE_INTERVAL_S: positiveInt(300),
    /**
     * Several processes as one embedded broker: "redis" shares subscriptions, retained messages and
     * wills through Redis (mqemitter-redis, aedes-persistence-redis), so a command reaches a device
     * whichever process holds its connection. Needs a PostgreSQL server (DATABASE_URL).
     */
    MQTT_CLUSTER: z.enum(['off', 'redis']).default('off'),
    /**
     * Where a device's alarm rule state ("lasts N s", "N in a row", delayed clears) is evaluated.
     * "local": in this process's memory, written to Redis every 500 ms (one device's messages must
     * reach one process: the embedded broker, MQTT_CLUSTER=redis, or EMQX with hash_clientid).
     * "shared": authoritative in Redis, each message evaluated under a compare-and-set, so processes
     * that each receive a share of one device's messages (Mosquitto's round-robin $share) agree.
     * Default: shared with an external broker (MQTT_URL), local otherwise.
     */
    RULE_STATE: z.enum(['local', 'shared']).optional(),
    /**
     * RULE_STATE=shared: a reading or event is evaluated this long after its device ts (at most
     * this long after it arrived), so that inputs of one device that reach different processes
     * with different delays are evaluated in the device's order. 0 evaluates at once.
     */
    RULE_REORDER_WINDOW_MS: nonNegativeInt(2000),
    /** Per-device publish budget on the embedded broker, messages per second (burst = 2 s worth). */
    MQTT_DEVICE_RATE_LIMIT: positiveInt(2000),
    /** Largest MQTT packet the embedded broker accepts (header included); a larger declared length closes the connection before it is buffered. */
    MQTT_MAX_PACKET_BYTES: positiveInt(128 * 1024),
    /** Seconds a new MQTT connection has to complete CONNECT before it is closed. */
    MQTT_CONNECT_TIMEOUT_S: positiveInt(10),
    /** Open MQTT connections (TCP and WebSocket) one source address may hold; more are refused and counted. */
    MQTT_MAX_CONNECTIONS_PER_ADDRESS: positiveInt(1000),
    /** Open MQTT connections (TCP and WebSocket) the embedded broker holds in all; 0: the open-file limit less a reserve (mqttConnectionCap). */
    MQTT_MAX_CONNECTIONS: nonNegativeInt(0),
    /** Readings one backfill message may carry; a longer one is dead-lettered. */
    BACKFILL_MAX_READINGS: positiveInt(500),
    /** Key of the HMAC-SHA-256 that device secrets are stored under (generated under DATA_DIR when unset). */
    DEVICE_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    DATA_DIR: z.string().default('./data'),
    /**
     * Embedded PGlite's memory (issue 11, footprint). PGlite runs PostgreSQL in a WebAssembly memory
     * of at least 128 MiB that never shrinks: shared memory (about shared_buffers + 7 MB) beyond
     * roughly 100 MB makes it grow, and a grown memory is copied and stays resident as a whole.
     * A PostgreSQL server (DATABASE_URL) is tuned on the server.
     */
    PGLITE_SHARED_BUFFERS: pgMemory('16MB', 128, 1024 * 1024),
    /** Per sort or hash before it spills to a temporary file. */
    PGLITE_WORK_MEM: pgMemory('4MB', 64, 256 * 1024),
    /** CREATE INDEX and VACUUM in migrations and maintenance. */
    PGLITE_MAINTENANCE_WORK_MEM: pgMemory('16MB', 1024, 1024 * 1024),
    /**
     * How V8 compiles PGlite's WebAssembly: "baseline" (Liftoff only) or "optimizing" (V8's
     * default, hot functions recompiled by TurboFan, whose code and compiler memory stay resident).
     */
    PGLITE_WASM_COMPILER: z.enum(['baseline', 'optimizing']).default('baseline'),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    /** Prefix for every Redis key and BullMQ queue, so several deployments can share one Redis. */
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]*$/).default('spp'),
    INFLUX_URL: url(['http:', 'https:'])
      .default('http://127.0.0.1:8086/property_iot')
      .refine((v) => /^\/[A-Za-z0-9_-]+\/?$/.test(new URL(v).pathname), {
        message: 'must name the database in the path, e.g. http://127.0.0.1:8086/property_iot',
      }),
    INFLUX_BATCH_SIZE: positiveInt(5000),
    INFLUX_FLUSH_MS: positiveInt(1000),
    /** Points kept in memory while InfluxDB is unreachable; beyond it the oldest are dropped and counted. */
    /**
     * The ingestion write-ahead log (DATA_DIR/ingest-wal) holds what is acknowledged but not yet in
     * InfluxDB; at this size publishers are held back (no PUBACK) until InfluxDB catches up.
     */
    INGEST_WAL_MAX_BYTES: positiveInt(1024 * 1024 * 1024),
    /** Group commit interval of that log: one write and one fdatasync per interval. */
    INGEST_WAL_COMMIT_MS: nonNegativeInt(0),
    INFLUX_RAW_RETENTION: z.string().regex(/^\d+[hdw]$/).default('30d'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Lifetime of an access token; the pages renew it with their refresh token before it ends. */
    JWT_TTL: z.string().regex(/^\d+[smhd]$/).default('15m'),
    /** Lifetime of a refresh token (each use replaces it with a new one of the same lifetime). */
    REFRESH_TOKEN_TTL: z.string().regex(/^\d+[smhd]$/).default('7d'),
    /** Password hashes computed at once; more wait in a queue of LOGIN_HASH_QUEUE, beyond it logins get 503 at once. */
    LOGIN_HASH_CONCURRENCY: positiveInt(2),
    LOGIN_HASH_QUEUE: positiveInt(16),
    /** Express "trust proxy": set it (e.g. "loopback" or a hop count) behind a reverse proxy so throttling sees the client's address. */
    TRUST_PROXY: z.string().optional(),
    /** Resident plates a unit may register without staff approval. */
    PARKING_RESIDENT_PLATES_PER_UNIT: z.string().regex(/^\d+$/).default('2').transform(Number),
    ADMIN_USERNAME: z.string().regex(/^[A-Za-z0-9_.@-]{3,64}$/).default('admin'),
    ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
    ROLES: z
      .string()
      .default(platformRoles.join(','))
      .transform((v, ctx) => {
        const roles = v.split(',').map((r) => r.trim()).filter(Boolean);
        const unknown = roles.filter((r) => !platformRoles.includes(r as PlatformRole));
        if (unknown.length > 0 || roles.length === 0) {
          ctx.addIssue({ code: 'custom', message: `must be a comma list of ${platformRoles.join(',')}, got "${v}"` });
          return z.NEVER;
        }
        return new Set(roles as PlatformRole[]);
      }),
    TZ_BUSINESS: z.string().default('Asia/Shanghai').refine(isTimeZone, { message: 'must be an IANA time zone' }),
    /**
     * A device that sends nothing for this long is marked offline. On the embedded broker a device
     * that still holds its connection is left to MQTT keep-alive, which drops half-open ones.
     */
    HEARTBEAT_TIMEOUT_S: positiveInt(120),
    DEAD_LETTER_CAP: positiveInt(10_000),
    /** Minimum interval between two live updates of one device pushed to browsers. */
    LIVE_UPDATE_INTERVAL_MS: positiveInt(250),
    /** How often the maintenance sweep (one process of the cluster) checks due visits and certificates; due dates are days apart. */
    MAINTENANCE_SWEEP_MS: positiveInt(60_000),
    LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    /** Parking: cancelling a booking is free until this many minutes before its start. */
    PARKING_CANCEL_FREE_MINUTES: z.string().regex(/^\d+$/).default('60').transform(Number),
    /** Parking: when an owner withdraws availability, bookings already made are kept or cancelled with notice. */
    PARKING_WITHDRAW_RULE: z.enum(['keep', 'cancel']).default('keep'),
    PARKING_ARRIVAL_GRACE_MIN: z.string().regex(/^\d+$/).default('15').transform(Number),
    PARKING_DEPARTURE_GRACE_MIN: z.string().regex(/^\d+$/).default('10').transform(Number),
    /** Minutes before a booking's start that its car may already enter. */
    PARKING_EARLY_ARRIVAL_MIN: z.string().regex(/^\d+$/).default('15').transform(Number),
    /** Minutes after paying within which a car passes the exit lane at once (缴费后离场时间). */
    PARKING_EXIT_PAID_GRACE_MIN: z.string().regex(/^\d+$/).default('15').transform(Number),
    /** Overstays after which a plate is blocked at the gate; 0 = never. */
    PARKING_BLOCK_AFTER_OVERSTAYS: z.string().regex(/^\d+$/).default('3').transform(Number),
    /** Extra plates that always pass free (ambulances carry ordinary plates), comma list. */
    PARKING_EMERGENCY_PLATES: z.string().default(''),
    /** Web security (issue 8): webhook hosts exempt from the private-address guard (comma list), reminder bounds. */
    WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
    /** Issue 9: per webhook endpoint, calls in flight, deliveries waiting (beyond: dropped, counted), and the whole call's time-out. */
    WEBHOOK_ENDPOINT_CONCURRENCY: positiveInt(2),
    WEBHOOK_ENDPOINT_QUEUE: positiveInt(100),
    WEBHOOK_TIMEOUT_MS: positiveInt(5000),
    /** Webhook calls in flight across all endpoints (the notification workers of each worker process). */
    WEBHOOK_WORKERS: positiveInt(32),
    ALARM_REMINDER_MIN_INTERVAL_S: positiveInt(60).refine((n) => n >= 60, { message: 'must be at least 60 (seconds)' }),
    ALARM_REMINDERS_PER_ALARM: positiveInt(24),
    /** Issue 13 §7: WeChat Pay API v3 (Native QR payments). Off unless WECHATPAY_MCHID is set; then the others are required. */
    WECHATPAY_MCHID: z.string().regex(/^\d{1,32}$/).optional(),
    WECHATPAY_APPID: z.string().optional(),
    /** Serial number of the merchant API certificate (商户API证书序列号). */
    WECHATPAY_SERIAL_NO: z.string().regex(/^[0-9A-Fa-f]{8,64}$/).optional(),
    /** PEM file of the merchant API private key (apiclient_key.pem). */
    WECHATPAY_PRIVATE_KEY_PATH: z.string().optional(),
    WECHATPAY_APIV3_KEY: z.string().length(32, 'must be the 32-character APIv3 key').optional(),
    /** PEM file of the WeChat Pay platform public key or platform certificate (verifies responses and notifications). */
    WECHATPAY_PLATFORM_KEY_PATH: z.string().optional(),
    WECHATPAY_BASE_URL: z.url().default('https://api.mch.weixin.qq.com'),
    /** Public HTTPS address of POST /api/v1/public/payments/wechat/notify as WeChat Pay reaches it. */
    WECHATPAY_NOTIFY_URL: z.url().optional(),
    /** Issue 13 §7: Alipay open platform (face-to-face QR payments). Off unless ALIPAY_APP_ID is set; then the keys and notify URL are required. */
    ALIPAY_APP_ID: z.string().regex(/^\d{16}$/, 'must be the 16-digit Alipay app id').optional(),
    /** PEM (PKCS#1 or PKCS#8) or bare base64 file of the application private key (应用私钥, RSA2). */
    ALIPAY_PRIVATE_KEY_PATH: z.string().optional(),
    /** PEM or bare base64 file of the Alipay public key (支付宝公钥: verifies answers and notifications). */
    ALIPAY_PUBLIC_KEY_PATH: z.string().optional(),
    /** The merchant's PID (2088…): when set, notifications for another seller are refused. */
    ALIPAY_SELLER_ID: z.string().regex(/^2088\d{12}$/, 'must be the 16-digit PID starting 2088').optional(),
    ALIPAY_GATEWAY_URL: z.url().default('https://openapi.alipay.com/gateway.do'),
    /** Public address of POST /api/v1/public/payments/alipay/notify as Alipay reaches it. */
    ALIPAY_NOTIFY_URL: z.url().optional(),
    /**
     * Issue 13 §7: visitors prove a mobile number with an SMS code sent by Tencent Cloud SMS
     * (SendSms, API 2021-01-11). Off unless SMS_TENCENT_SECRET_ID is set (then visitor sign-in
     * answers 503); with it, the others without a default are required.
     */
    SMS_TENCENT_SECRET_ID: z.string().regex(/^[A-Za-z0-9]{8,128}$/).optional(),
    SMS_TENCENT_SECRET_KEY: z.string().min(8).optional(),
    /** The SMS application's SdkAppId (e.g. 1400006666). */
    SMS_TENCENT_SDK_APP_ID: z.string().regex(/^\d{6,16}$/).optional(),
    /** The approved signature (签名) the message carries. */
    SMS_TENCENT_SIGN_NAME: z.string().min(1).max(64).optional(),
    /** The approved template: "{1}" the code, "{2}" its minutes of validity. */
    SMS_TENCENT_TEMPLATE_ID: z.string().regex(/^\d{1,16}$/).optional(),
    SMS_TENCENT_REGION: z.string().regex(/^[a-z]+-[a-z]+$/).default('ap-guangzhou'),
    /** The API's address; a host under .localhost reaches this machine (tests' local SMS server). */
    SMS_TENCENT_ENDPOINT: url(['http:', 'https:']).default('https://sms.tencentcloudapi.com'),
    /** Lifetime of a visitor's session (no refresh: the visitor proves the number again). */
    VISITOR_SESSION_TTL: z.string().regex(/^\d+[smh]$/).default('2h'),
    /** Codes sent to one number per hour (a burst of up to 3 at once). */
    VISITOR_CODES_PER_PHONE_PER_HOUR: positiveInt(5),
    /** Codes asked for from one source address per hour (a burst of up to 10 at once). */
    VISITOR_CODES_PER_ADDRESS_PER_HOUR: positiveInt(30),
    /** TEST ONLY: kill the process (SIGKILL) at this point, to prove recovery after a crash there. Refused in production. */
    FAULT_INJECT: z.enum(faultPoints).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.FAULT_INJECT) {
      ctx.addIssue({ code: 'custom', path: ['FAULT_INJECT'], message: 'is for tests only and refused when NODE_ENV=production' });
    }
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (env.NODE_ENV === 'production' && !env.DEVICE_SECRET_KEY) {
      ctx.addIssue({ code: 'custom', path: ['DEVICE_SECRET_KEY'], message: 'is required when NODE_ENV=production (every platform process must hash device secrets alike)' });
    }
    if (env.MQTT_MAX_PACKET_BYTES <= 64 * 1024) {
      ctx.addIssue({ code: 'custom', path: ['MQTT_MAX_PACKET_BYTES'], message: 'must be above 65536 (the 64 KiB payload limit plus headers)' });
    }
    if (env.MQTT_BROKER_AUTH !== 'manual') {
      const mode = `MQTT_BROKER_AUTH=${env.MQTT_BROKER_AUTH}`;
      if (!env.MQTT_URL) ctx.addIssue({ code: 'custom', path: ['MQTT_BROKER_AUTH'], message: `${env.MQTT_BROKER_AUTH} needs an external broker (MQTT_URL)` });
      if (!env.MQTT_USERNAME) ctx.addIssue({ code: 'custom', path: ['MQTT_USERNAME'], message: `is required with ${mode}` });
      if (!env.MQTT_PASSWORD) ctx.addIssue({ code: 'custom', path: ['MQTT_PASSWORD'], message: `is required with ${mode}` });
    }
    if (env.MQTT_BROKER_AUTH === 'emqx-http' && !env.BROKER_AUTH_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['BROKER_AUTH_SECRET'], message: 'is required with MQTT_BROKER_AUTH=emqx-http' });
    }
    if (env.MQTT_CLUSTER === 'redis' && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['MQTT_CLUSTER'],
        message: 'MQTT_CLUSTER=redis runs several processes on one database: embedded PGlite serves a single process, set DATABASE_URL to a PostgreSQL server',
      });
    }
    if (env.MQTT_CLUSTER === 'redis' && env.MQTT_URL) {
      ctx.addIssue({ code: 'custom', path: ['MQTT_CLUSTER'], message: 'MQTT_CLUSTER=redis clusters the embedded broker: unset MQTT_URL (an external broker is shared already)' });
    }
    if (env.SMS_TENCENT_SECRET_ID) {
      for (const name of ['SMS_TENCENT_SECRET_KEY', 'SMS_TENCENT_SDK_APP_ID', 'SMS_TENCENT_SIGN_NAME', 'SMS_TENCENT_TEMPLATE_ID'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required with SMS_TENCENT_SECRET_ID' });
      }
    }
    if (env.WECHATPAY_MCHID) {
      for (const name of ['WECHATPAY_APPID', 'WECHATPAY_SERIAL_NO', 'WECHATPAY_PRIVATE_KEY_PATH', 'WECHATPAY_APIV3_KEY', 'WECHATPAY_PLATFORM_KEY_PATH', 'WECHATPAY_NOTIFY_URL'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required with WECHATPAY_MCHID' });
      }
    }
    if (env.ALIPAY_APP_ID) {
      for (const name of ['ALIPAY_PRIVATE_KEY_PATH', 'ALIPAY_PUBLIC_KEY_PATH', 'ALIPAY_NOTIFY_URL'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required with ALIPAY_APP_ID' });
      }
    }
    if (env.BROKER_API_URL && (!env.BROKER_API_KEY || !env.BROKER_API_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['BROKER_API_KEY'], message: 'BROKER_API_KEY and BROKER_API_SECRET are required with BROKER_API_URL' });
    }
  });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface PlatformConfig {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  roles: ReadonlySet<PlatformRole>;
  dataDir: string;
  timeZone: string;
  http: { port: number; host: string };
  mqtt: {
    externalUrl?: string;
    clientId?: string;
    sessionExpiryS: number;
    username?: string;
    password?: string;
    shareGroup: string;
    port: number;
    wsPort: number;
    deviceRateLimit: number;
    heartbeatTimeoutMs: number;
    maxPacketBytes: number;
    connectTimeoutMs: number;
    maxConnectionsPerAddress: number;
    /** More connections are refused, so the API, socket.io and the stores keep file descriptors. */
    maxConnections: number;
    /** HMAC key of stored device secrets. */
    deviceSecretKey: string;
    /** MQTT_CLUSTER: how the embedded brokers of several processes share subscriptions. */
    cluster: 'off' | 'redis';
  };
  /** How device credentials reach an external broker (MQTT_BROKER_AUTH and the BROKER_* variables). */
  brokerAuth: {
    mode: BrokerAuthMode;
    hookHost: string;
    hookPort: number;
    hookSecret?: string;
    api?: { url: string; key: string; secret: string };
    reconcileIntervalMs: number;
  };
  database: {
    url?: string;
    embeddedDir: string;
    /** PostgreSQL settings of embedded PGlite (PGLITE_*), passed as start-up options. */
    embeddedSettings: { shared_buffers: string; work_mem: string; maintenance_work_mem: string };
    /** PGLITE_WASM_COMPILER: Liftoff only ("baseline") or Liftoff then TurboFan ("optimizing"). */
    embeddedWasmCompiler: 'baseline' | 'optimizing';
  };
  redis: { url: string; prefix: string };
  influx: {
    url: string;
    database: string;
    batchSize: number;
    flushMs: number;
    rawRetention: string;
  };
  auth: {
    jwtSecret: string;
    /** Access-token lifetime in seconds. */
    accessTtlS: number;
    refreshTtlS: number;
    hashConcurrency: number;
    hashQueue: number;
    trustProxy?: string;
    adminUsername: string;
    adminPassword?: string;
  };
  ingest: { deadLetterCap: number; liveUpdateIntervalMs: number; backfillMaxReadings: number };
  ingestWal: { maxBytes: number; commitMs: number };
  maintenance: { sweepMs: number };
  /** RULE_STATE: where alarm rule state is authoritative (see the variable's comment). */
  alarms: { ruleState: 'local' | 'shared'; reorderWindowMs: number };
  parking: {
    cancelFreeMinutes: number;
    withdrawRule: 'keep' | 'cancel';
    arrivalGraceMin: number;
    departureGraceMin: number;
    earlyArrivalMin: number;
    exitPaidGraceMin: number;
    blockAfterOverstays: number;
    emergencyPlates: string[];
    residentPlatesPerUnit: number;
  };
  /** Alarm notifications: hosts a webhook may reach despite the address guard; reminders at least this far apart, at most this many per alarm. */
  notifications: {
    webhookAllowedHosts: string[];
    reminderMinIntervalS: number;
    remindersPerAlarm: number;
    /** Per endpoint: calls in flight, deliveries waiting for one, and a call's time-out. */
    webhookConcurrency: number;
    webhookQueue: number;
    webhookTimeoutMs: number;
    webhookWorkers: number;
  };
  /** WeChat Pay API v3 merchant settings (WECHATPAY_*); absent when WECHATPAY_MCHID is unset. */
  wechatPay?: {
    mchid: string;
    appid: string;
    serialNo: string;
    privateKeyPath: string;
    apiV3Key: string;
    platformKeyPath: string;
    baseUrl: string;
    notifyUrl: string;
  };
  /** Alipay open platform settings (ALIPAY_*); absent when ALIPAY_APP_ID is unset. */
  alipay?: {
    appId: string;
    privateKeyPath: string;
    publicKeyPath: string;
    sellerId?: string;
    gatewayUrl: string;
    notifyUrl: string;
  };
  /** Tencent Cloud SMS (SMS_TENCENT_*); absent when SMS_TENCENT_SECRET_ID is unset. */
  sms?: {
    secretId: string;
    secretKey: string;
    sdkAppId: string;
    signName: string;
    templateId: string;
    region: string;
    endpoint: string;
  };
  /** Visitors' sign-in by SMS code (issue 13 §7). */
  visitors: { sessionTtlS: number; codesPerPhonePerHour: number; codesPerAddressPerHour: number };
  /** TEST ONLY (FAULT_INJECT): the point where the process kills itself. */
  faultInject?: FaultPoint;
}

/** The process's environment: read here, and only here, by the entry points (main.ts, cli.ts). */
export function processEnvironment(): Record<string, string | undefined> {
  return process.env;
}

/** Parses an environment record; throws one ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): PlatformConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`));
  }
  const e = result.data;
  const dataDir = resolve(e.DATA_DIR);
  const influxUrl = new URL(e.INFLUX_URL);
  const database = influxUrl.pathname.replace(/^\/|\/$/g, '');
  influxUrl.pathname = '/';
  return {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    roles: e.ROLES,
    dataDir,
    timeZone: e.TZ_BUSINESS,
    http: { port: e.HTTP_PORT, host: e.HTTP_HOST },
    mqtt: {
      externalUrl: e.MQTT_URL,
      clientId: e.MQTT_CLIENT_ID,
      sessionExpiryS: e.MQTT_SESSION_EXPIRY_S,
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      shareGroup: e.MQTT_SHARE_GROUP,
      port: e.MQTT_PORT,
      wsPort: e.MQTT_WS_PORT,
      deviceRateLimit: e.MQTT_DEVICE_RATE_LIMIT,
      heartbeatTimeoutMs: e.HEARTBEAT_TIMEOUT_S * 1000,
      maxPacketBytes: e.MQTT_MAX_PACKET_BYTES,
      connectTimeoutMs: e.MQTT_CONNECT_TIMEOUT_S * 1000,
      maxConnectionsPerAddress: e.MQTT_MAX_CONNECTIONS_PER_ADDRESS,
      maxConnections: e.MQTT_MAX_CONNECTIONS || mqttConnectionCap(openFileLimit()),
      deviceSecretKey: e.DEVICE_SECRET_KEY ?? persistedSecret(dataDir, 'device-secret-key'),
      cluster: e.MQTT_CLUSTER,
    },
    brokerAuth: {
      mode: e.MQTT_BROKER_AUTH,
      hookHost: e.BROKER_AUTH_HOST,
      hookPort: e.BROKER_AUTH_PORT,
      hookSecret: e.BROKER_AUTH_SECRET,
      api: e.BROKER_API_URL ? { url: e.BROKER_API_URL.replace(/\/+$/, ''), key: e.BROKER_API_KEY!, secret: e.BROKER_API_SECRET! } : undefined,
      reconcileIntervalMs: e.BROKER_RECONCILE_INTERVAL_S * 1000,
    },
    database: {
      url: e.DATABASE_URL,
      embeddedDir: join(dataDir, 'pglite'),
      embeddedSettings: { shared_buffers: e.PGLITE_SHARED_BUFFERS, work_mem: e.PGLITE_WORK_MEM, maintenance_work_mem: e.PGLITE_MAINTENANCE_WORK_MEM },
      embeddedWasmCompiler: e.PGLITE_WASM_COMPILER,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    influx: {
      url: influxUrl.toString(),
      database,
      batchSize: e.INFLUX_BATCH_SIZE,
      flushMs: e.INFLUX_FLUSH_MS,
      rawRetention: e.INFLUX_RAW_RETENTION,
    },
    auth: {
      jwtSecret: e.JWT_SECRET ?? persistedSecret(dataDir, 'jwt-secret'),
      accessTtlS: durationS(e.JWT_TTL),
      refreshTtlS: durationS(e.REFRESH_TOKEN_TTL),
      hashConcurrency: e.LOGIN_HASH_CONCURRENCY,
      hashQueue: e.LOGIN_HASH_QUEUE,
      trustProxy: e.TRUST_PROXY,
      adminUsername: e.ADMIN_USERNAME,
      adminPassword: e.ADMIN_PASSWORD,
    },
    ingest: { deadLetterCap: e.DEAD_LETTER_CAP, liveUpdateIntervalMs: e.LIVE_UPDATE_INTERVAL_MS, backfillMaxReadings: e.BACKFILL_MAX_READINGS },
    ingestWal: { maxBytes: e.INGEST_WAL_MAX_BYTES, commitMs: e.INGEST_WAL_COMMIT_MS },
    maintenance: { sweepMs: e.MAINTENANCE_SWEEP_MS },
    alarms: { ruleState: e.RULE_STATE ?? (e.MQTT_URL ? 'shared' : 'local'), reorderWindowMs: e.RULE_REORDER_WINDOW_MS },
    parking: {
      cancelFreeMinutes: e.PARKING_CANCEL_FREE_MINUTES,
      withdrawRule: e.PARKING_WITHDRAW_RULE,
      arrivalGraceMin: e.PARKING_ARRIVAL_GRACE_MIN,
      departureGraceMin: e.PARKING_DEPARTURE_GRACE_MIN,
      earlyArrivalMin: e.PARKING_EARLY_ARRIVAL_MIN,
      exitPaidGraceMin: e.PARKING_EXIT_PAID_GRACE_MIN,
      blockAfterOverstays: e.PARKING_BLOCK_AFTER_OVERSTAYS,
      emergencyPlates: e.PARKING_EMERGENCY_PLATES.split(',').map((p) => p.trim()).filter(Boolean),
      residentPlatesPerUnit: e.PARKING_RESIDENT_PLATES_PER_UNIT,
    },
    notifications: {
      webhookAllowedHosts: e.WEBHOOK_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean),
      reminderMinIntervalS: e.ALARM_REMINDER_MIN_INTERVAL_S,
      remindersPerAlarm: e.ALARM_REMINDERS_PER_ALARM,
      webhookConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
      webhookQueue: e.WEBHOOK_ENDPOINT_QUEUE,
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      webhookWorkers: e.WEBHOOK_WORKERS,
    },
    wechatPay: e.WECHATPAY_MCHID
      ? {
          mchid: e.WECHATPAY_MCHID,
          appid: e.WECHATPAY_APPID!,
          serialNo: e.WECHATPAY_SERIAL_NO!,
          privateKeyPath: resolve(e.WECHATPAY_PRIVATE_KEY_PATH!),
          apiV3Key: e.WECHATPAY_APIV3_KEY!,
          platformKeyPath: resolve(e.WECHATPAY_PLATFORM_KEY_PATH!),
          baseUrl: e.WECHATPAY_BASE_URL.replace(/\/+$/, ''),
          notifyUrl: e.WECHATPAY_NOTIFY_URL!,
        }
      : undefined,
    alipay: e.ALIPAY_APP_ID
      ? {
          appId: e.ALIPAY_APP_ID,
          privateKeyPath: resolve(e.ALIPAY_PRIVATE_KEY_PATH!),
          publicKeyPath: resolve(e.ALIPAY_PUBLIC_KEY_PATH!),
          sellerId: e.ALIPAY_SELLER_ID,
          gatewayUrl: e.ALIPAY_GATEWAY_URL,
          notifyUrl: e.ALIPAY_NOTIFY_URL!,
        }
      : undefined,
    sms: e.SMS_TENCENT_SECRET_ID
      ? {
          secretId: e.SMS_TENCENT_SECRET_ID,
          secretKey: e.SMS_TENCENT_SECRET_KEY!,
          sdkAppId: e.SMS_TENCENT_SDK_APP_ID!,
          signName: e.SMS_TENCENT_SIGN_NAME!,
          templateId: e.SMS_TENCENT_TEMPLATE_ID!,
          region: e.SMS_TENCENT_REGION,
          endpoint: e.SMS_TENCENT_ENDPOINT.replace(/\/+$/, ''),
        }
      : undefined,
    visitors: { sessionTtlS: durationS(e.VISITOR_SESSION_TTL), codesPerPhonePerHour: e.VISITOR_CODES_PER_PHONE_PER_HOUR, codesPerAddressPerHour: e.VISITOR_CODES_PER_ADDRESS_PER_HOUR },
    faultInject: e.FAULT_INJECT,
  };
}

/** "15m", "7d" … (validated by the schema) in seconds. */
function durationS(value: string): number {
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[value.slice(-1) as 's' | 'm' | 'h' | 'd'];
  return Number(value.slice(0, -1)) * unit;
}

/**
 * Without JWT_SECRET (DEVICE_SECRET_KEY) a secret is generated once and kept under DATA_DIR, so
 * tokens (stored device secrets) survive restarts.
 */
function persistedSecret(dataDir: string, name: string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * What the embedded broker holds when MQTT_MAX_CONNECTIONS is 0: the process's open-file limit
 * less a reserve (a fifth, from 256 to 4,096) for HTTP and socket.io clients, the databases and
 * the log files. Without it a reconnect storm at the limit took every descriptor and /health failed.
 */
export function mqttConnectionCap(openFileLimit: number): number {
  const reserve = Math.min(4096, Math.max(256, Math.floor(openFileLimit / 5)));
  return Math.max(1, openFileLimit - reserve);
}

/** RLIMIT_NOFILE (Node raises the soft limit to the hard one at start); Infinity where unknown or unlimited. */
function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return soft > 0 ? soft : Infinity;
  } catch {
    return Infinity;
  }
}

export const hasRole = (config: PlatformConfig, role: PlatformRole): boolean => config.roles.has(role);
