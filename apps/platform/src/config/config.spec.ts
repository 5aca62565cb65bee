import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, mqttConnectionCap, parseConfig } from './config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'spp-config-'));

describe('parseConfig', () => {
  it('applies the contract defaults', () => {
    const config = parseConfig({ DATA_DIR: dataDir() });
    expect(config.http.port).toBe(3000);
    expect(config.mqtt.port).toBe(1883);
    expect(config.mqtt.wsPort).toBe(8083);
    expect(config.mqtt.externalUrl).toBeUndefined();
    expect(config.database.url).toBeUndefined();
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.influx).toMatchObject({ url: 'http://127.0.0.1:8086/', database: 'property_iot' });
    expect([...config.roles]).toEqual(['broker', 'ingest', 'api', 'worker']);
    expect(config.timeZone).toBe('Asia/Shanghai');
    expect(config.auth.adminUsername).toBe('admin');
  });

  it('evaluates alarm rules on shared Redis state with an external broker, in memory otherwise (RULE_STATE)', () => {
    expect(parseConfig({ DATA_DIR: dataDir() }).alarms.ruleState).toBe('local');
    expect(parseConfig({ DATA_DIR: dataDir(), MQTT_URL: 'mqtt://broker:1883' }).alarms.ruleState).toBe('shared');
    expect(parseConfig({ DATA_DIR: dataDir(), MQTT_URL: 'mqtt://broker:1883', RULE_STATE: 'local' }).alarms.ruleState).toBe('local');
    expect(parseConfig({ DATA_DIR: dataDir(), RULE_STATE: 'shared' }).alarms.ruleState).toBe('shared');
    expect(() => parseConfig({ DATA_DIR: dataDir(), RULE_STATE: 'redis' })).toThrow(/RULE_STATE/);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      parseConfig({ HTTP_PORT: 'x', MQTT_URL: 'http://broker', ROLES: 'api,cook', INFLUX_URL: 'http://influx:8086', TZ_BUSINESS: 'Mars/Base' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['HTTP_PORT', 'MQTT_URL', 'ROLES', 'INFLUX_URL', 'TZ_BUSINESS']) expect(message).toContain(name);
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', DATA_DIR: dataDir() })).toThrow(/JWT_SECRET: is required when NODE_ENV=production/);
  });

  it('requires DEVICE_SECRET_KEY in production, of at least 32 characters, and generates one otherwise (issue 8)', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(32), DATA_DIR: dataDir() })).toThrow(/DEVICE_SECRET_KEY: is required when NODE_ENV=production/);
    expect(() => parseConfig({ DEVICE_SECRET_KEY: 'short', DATA_DIR: dataDir() })).toThrow(/DEVICE_SECRET_KEY: must be at least 32 characters/);
    const dir = dataDir();
    const first = parseConfig({ DATA_DIR: dir }).mqtt.deviceSecretKey;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(parseConfig({ DATA_DIR: dir }).mqtt.deviceSecretKey).toBe(first);
    expect(readFileSync(join(dir, 'device-secret-key'), 'utf8')).toBe(first);
  });

  it('refuses MQTT_MAX_PACKET_BYTES at or below the 64 KiB payload limit', () => {
    expect(() => parseConfig({ MQTT_MAX_PACKET_BYTES: '65536', DATA_DIR: dataDir() })).toThrow(/MQTT_MAX_PACKET_BYTES: must be above 65536/);
    expect(parseConfig({ DATA_DIR: dataDir() }).mqtt.maxPacketBytes).toBe(128 * 1024);
  });

  it('generates a JWT secret once and keeps it under DATA_DIR', () => {
    const dir = dataDir();
    const first = parseConfig({ DATA_DIR: dir }).auth.jwtSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(parseConfig({ DATA_DIR: dir }).auth.jwtSecret).toBe(first);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(first);
  });

  it('accepts port 0 (pick a free port) and a role subset', () => {
    const config = parseConfig({ HTTP_PORT: '0', MQTT_PORT: '0', ROLES: 'ingest, api', MQTT_URL: 'mqtts://broker:8883', DATA_DIR: dataDir() });
    expect(config.http.port).toBe(0);
    expect([...config.roles]).toEqual(['ingest', 'api']);
    expect(config.mqtt.externalUrl).toBe('mqtts://broker:8883');
  });

  it('keeps device credentials by hand at an external broker unless told otherwise', () => {
    expect(parseConfig({ DATA_DIR: dataDir() }).brokerAuth).toMatchObject({ mode: 'manual', hookHost: '127.0.0.1', hookPort: 3100, reconcileIntervalMs: 300_000 });
  });

  it('checks what each MQTT_BROKER_AUTH mode needs, naming every missing variable', () => {
    expect(() => parseConfig({ DATA_DIR: dataDir(), MQTT_BROKER_AUTH: 'mosquitto-dynsec' })).toThrow(
      /MQTT_BROKER_AUTH: mosquitto-dynsec needs an external broker \(MQTT_URL\)[\s\S]*MQTT_USERNAME: is required[\s\S]*MQTT_PASSWORD: is required/,
    );
    expect(() => parseConfig({ DATA_DIR: dataDir(), MQTT_BROKER_AUTH: 'emqx-http', MQTT_URL: 'mqtt://emqx:1883', MQTT_USERNAME: 'spp', MQTT_PASSWORD: 'p' })).toThrow(
      /BROKER_AUTH_SECRET: is required with MQTT_BROKER_AUTH=emqx-http/,
    );
    expect(() => parseConfig({ DATA_DIR: dataDir(), MQTT_BROKER_AUTH: 'ldap' })).toThrow(/MQTT_BROKER_AUTH/);
    expect(() => parseConfig({ DATA_DIR: dataDir(), BROKER_API_URL: 'http://emqx:18083' })).toThrow(/BROKER_API_KEY and BROKER_API_SECRET are required/);
  });

  it('reads the EMQX hook listener and REST API settings', () => {
    const config = parseConfig({
      DATA_DIR: dataDir(),
      MQTT_URL: 'mqtt://emqx:1883',
      MQTT_USERNAME: 'spp-platform',
      MQTT_PASSWORD: 'platform-pass',
      MQTT_BROKER_AUTH: 'emqx-http',
      BROKER_AUTH_HOST: '0.0.0.0',
      BROKER_AUTH_PORT: '0',
      BROKER_AUTH_SECRET: 's'.repeat(32),
      BROKER_API_URL: 'http://emqx:18083/',
      BROKER_API_KEY: 'key',
      BROKER_API_SECRET: 'secret',
    });
    expect(config.brokerAuth).toMatchObject({ mode: 'emqx-http', hookHost: '0.0.0.0', hookPort: 0, api: { url: 'http://emqx:18083', key: 'key', secret: 'secret' } });
  });

  it('reads the webhook allow-list and per-endpoint bounds, and holds alarm reminders to at least 60 s apart', () => {
    const config = parseConfig({ DATA_DIR: dataDir(), WEBHOOK_ALLOWED_HOSTS: 'relay.internal, 10.0.0.5', ALARM_REMINDERS_PER_ALARM: '5', WEBHOOK_TIMEOUT_MS: '2500' });
    expect(config.notifications).toEqual({
      webhookAllowedHosts: ['relay.internal', '10.0.0.5'],
      reminderMinIntervalS: 60,
      remindersPerAlarm: 5,
      webhookConcurrency: 2,
      webhookQueue: 100,
      webhookTimeoutMs: 2500,
      webhookWorkers: 32,
    });
    expect(parseConfig({ DATA_DIR: dataDir(), WEBHOOK_WORKERS: '64' }).notifications.webhookWorkers).toBe(64);
    expect(() => parseConfig({ DATA_DIR: dataDir(), ALARM_REMINDER_MIN_INTERVAL_S: '30' })).toThrow(/ALARM_REMINDER_MIN_INTERVAL_S: must be at least 60/);
  });

  it('clusters the embedded broker through Redis only on a PostgreSQL server', () => {
    expect(parseConfig({ DATA_DIR: dataDir() }).mqtt.cluster).toBe('off');
    expect(() => parseConfig({ DATA_DIR: dataDir(), MQTT_CLUSTER: 'redis' })).toThrow(/MQTT_CLUSTER: .*PGlite serves a single process, set DATABASE_URL/);
    expect(() => parseConfig({ DATA_DIR: dataDir(), MQTT_CLUSTER: 'redis', DATABASE_URL: 'postgres://db/spp', MQTT_URL: 'mqtt://broker' })).toThrow(/MQTT_CLUSTER: .*unset MQTT_URL/);
    expect(parseConfig({ DATA_DIR: dataDir(), MQTT_CLUSTER: 'redis', DATABASE_URL: 'postgres://db/spp' }).mqtt.cluster).toBe('redis');
  });
  it('sizes embedded PGlite small by default and takes PostgreSQL sizes in kB or MB (issue 11)', () => {
    expect(parseConfig({ DATA_DIR: dataDir() }).database.embeddedSettings).toEqual({ shared_buffers: '16MB', work_mem: '4MB', maintenance_work_mem: '16MB' });
    expect(parseConfig({ DATA_DIR: dataDir(), PGLITE_SHARED_BUFFERS: '512kB', PGLITE_WORK_MEM: '2MB' }).database.embeddedSettings).toMatchObject({ shared_buffers: '512kB', work_mem: '2MB' });
    for (const bad of ['16', '16 MB', '16mb', '1GB', '64kB', '-1MB']) {
      expect(() => parseConfig({ DATA_DIR: dataDir(), PGLITE_SHARED_BUFFERS: bad })).toThrow(/PGLITE_SHARED_BUFFERS: must be a size in kB or MB/);
    }
    expect(() => parseConfig({ DATA_DIR: dataDir(), PGLITE_MAINTENANCE_WORK_MEM: '512kB' })).toThrow(/PGLITE_MAINTENANCE_WORK_MEM/);
  });

  it('leaves WeChat Pay off by default; with WECHATPAY_MCHID it names every missing setting and defaults the API address (issue 13 §7)', () => {
    expect(parseConfig({ DATA_DIR: dataDir() }).wechatPay).toBeUndefined();
    const missing = (() => {
      try {
        parseConfig({ DATA_DIR: dataDir(), WECHATPAY_MCHID: '1900000109' });
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(missing).toEqual(['WECHATPAY_APPID', 'WECHATPAY_SERIAL_NO', 'WECHATPAY_PRIVATE_KEY_PATH', 'WECHATPAY_APIV3_KEY', 'WECHATPAY_PLATFORM_KEY_PATH', 'WECHATPAY_NOTIFY_URL'].map((v) => `${v}: is required with WECHATPAY_MCHID`));
    const config = parseConfig({
      DATA_DIR: dataDir(),
      WECHATPAY_MCHID: '1900000109',
      WECHATPAY_APPID: 'wxd678efh567hg6787',
      WECHATPAY_SERIAL_NO: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      WECHATPAY_PRIVATE_KEY_PATH: '/etc/spp/apiclient_key.pem',
      WECHATPAY_APIV3_KEY: 'abcdefghijklmnopqrstuvwxyz012345',
      WECHATPAY_PLATFORM_KEY_PATH: '/etc/spp/wechatpay_pub.pem',
      WECHATPAY_NOTIFY_URL: 'https://parking.example.com/api/v1/public/payments/wechat/notify',
    });
    expect(config.wechatPay).toMatchObject({ mchid: '1900000109', baseUrl: 'https://api.mch.weixin.qq.com', privateKeyPath: '/etc/spp/apiclient_key.pem' });
    expect(() => parseConfig({ DATA_DIR: dataDir(), WECHATPAY_APIV3_KEY: 'short' })).toThrow(/WECHATPAY_APIV3_KEY: must be the 32-character APIv3 key/);
  });

  it('leaves Alipay off by default; with ALIPAY_APP_ID it names every missing setting and defaults the gateway (issue 13 §7)', () => {
    expect(parseConfig({ DATA_DIR: dataDir() }).alipay).toBeUndefined();
    const missing = (() => {
      try {
        parseConfig({ DATA_DIR: dataDir(), ALIPAY_APP_ID: '2021000117600001' });
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(missing).toEqual(['ALIPAY_PRIVATE_KEY_PATH', 'ALIPAY_PUBLIC_KEY_PATH', 'ALIPAY_NOTIFY_URL'].map((v) => `${v}: is required with ALIPAY_APP_ID`));
    const config = parseConfig({
      DATA_DIR: dataDir(),
      ALIPAY_APP_ID: '2021000117600001',
      ALIPAY_PRIVATE_KEY_PATH: '/etc/spp/alipay_app_private.pem',
      ALIPAY_PUBLIC_KEY_PATH: '/etc/spp/alipay_public.pem',
      ALIPAY_NOTIFY_URL: 'https://parking.example.com/api/v1/public/payments/alipay/notify',
    });
    expect(config.alipay).toEqual({
      appId: '2021000117600001',
      privateKeyPath: '/etc/spp/alipay_app_private.pem',
      publicKeyPath: '/etc/spp/alipay_public.pem',
      sellerId: undefined,
      gatewayUrl: 'https://openapi.alipay.com/gateway.do',
      notifyUrl: 'https://parking.example.com/api/v1/public/payments/alipay/notify',
    });
    expect(() => parseConfig({ DATA_DIR: dataDir(), ALIPAY_APP_ID: 'wx123' })).toThrow(/ALIPAY_APP_ID: must be the 16-digit Alipay app id/);
    expect(() => parseConfig({ DATA_DIR: dataDir(), ALIPAY_SELLER_ID: '1234' })).toThrow(/ALIPAY_SELLER_ID: must be the 16-digit PID/);
  });

  it('leaves visitor SMS sign-in off by default; with SMS_TENCENT_SECRET_ID it names every missing setting (issue 13 §7)', () => {
    const plain = parseConfig({ DATA_DIR: dataDir() });
    expect(plain.sms).toBeUndefined();
    expect(plain.visitors).toEqual({ sessionTtlS: 7200, codesPerPhonePerHour: 5, codesPerAddressPerHour: 30 });
    const missing = (() => {
      try {
        parseConfig({ DATA_DIR: dataDir(), SMS_TENCENT_SECRET_ID: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE' });
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(missing).toEqual(['SMS_TENCENT_SECRET_KEY', 'SMS_TENCENT_SDK_APP_ID', 'SMS_TENCENT_SIGN_NAME', 'SMS_TENCENT_TEMPLATE_ID'].map((v) => `${v}: is required with SMS_TENCENT_SECRET_ID`));
    const config = parseConfig({
      DATA_DIR: dataDir(),
      SMS_TENCENT_SECRET_ID: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
      SMS_TENCENT_SECRET_KEY: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
      SMS_TENCENT_SDK_APP_ID: '1400006666',
      SMS_TENCENT_SIGN_NAME: '智慧物业',
      SMS_TENCENT_TEMPLATE_ID: '1234567',
      VISITOR_SESSION_TTL: '30m',
    });
    expect(config.sms).toMatchObject({ sdkAppId: '1400006666', region: 'ap-guangzhou', endpoint: 'https://sms.tencentcloudapi.com' });
    expect(config.visitors.sessionTtlS).toBe(1800);
    expect(() => parseConfig({ DATA_DIR: dataDir(), VISITOR_SESSION_TTL: '2d' })).toThrow(/VISITOR_SESSION_TTL/);
  });
});

describe('mqttConnectionCap (MQTT_MAX_CONNECTIONS=0)', () => {
  it('keeps a fifth of the open-file limit back, at least 256 and at most 4,096', () => {
    expect(mqttConnectionCap(1024)).toBe(768);
    expect(mqttConnectionCap(20_000)).toBe(16_000);
    expect(mqttConnectionCap(1_048_576)).toBe(1_044_480);
    expect(mqttConnectionCap(Infinity)).toBe(Infinity);
    expect(mqttConnectionCap(100)).toBe(1);
  });

  it('takes MQTT_MAX_CONNECTIONS when set, and the limit less the reserve when 0', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spp-config-cap-'));
    expect(parseConfig({ DATA_DIR: dataDir, MQTT_MAX_CONNECTIONS: '50' }).mqtt.maxConnections).toBe(50);
    expect(parseConfig({ DATA_DIR: dataDir }).mqtt.maxConnections).toBeGreaterThan(0);
  });
});
