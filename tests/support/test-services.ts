import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What tests/support/global-setup.ts started for this test run. */
export interface TestServices {
  /** redis://127.0.0.1:PORT (database 0; use freshRedisDb()/freshRedisPrefix() to isolate). */
  redisUrl: string;
  /** InfluxDB 1.x base URL without a database, e.g. http://127.0.0.1:8096 */
  influxUrl: string;
  /** PostgreSQL cluster base URL without a database, e.g. postgres://postgres@127.0.0.1:5439 */
  postgresUrl: string;
  /** The pre-created database `spp_test` on that cluster. */
  postgresDatabaseUrl: string;
  /** Mosquitto, anonymous access allowed, e.g. mqtt://127.0.0.1:18831 */
  mqttExternalUrl: string;
  /** Headless-capable Chromium for browser tests (playwright-core `executablePath`). */
  chromiumPath: string;
}

/** The record global-setup writes; also read by global-teardown and stale-run clean-up. */
export interface TestRunRecord extends TestServices {
  ownerPid: number;
  startedAt: string;
  /** Temporary directory holding every service's data and logs. */
  dir: string;
  processes: Array<{ name: string; pid: number; match: string; stopSignal: NodeJS.Signals }>;
}

export const repoRoot = resolve(__dirname, '..', '..');
export const tmpStateDir = join(repoRoot, '.tmp');
export const latestServicesFile = join(tmpStateDir, 'test-services.json');
export const servicesFileEnv = 'SPP_TEST_SERVICES_FILE';

let cached: TestRunRecord | undefined;

export function readRunRecord(): TestRunRecord {
  if (cached) return cached;
  const file = process.env[servicesFileEnv] || latestServicesFile;
  if (!existsSync(file)) {
    throw new Error(
      `No test services: ${file} does not exist. Run integration tests through jest's "integration" project ` +
        `(npx jest --selectProjects integration …), whose global set-up starts them.`,
    );
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as TestRunRecord;
  return cached;
}

/** URLs of the services the integration project's global set-up started for this run. */
export function testServices(): TestServices {
  const r = readRunRecord();
  return {
    redisUrl: r.redisUrl,
    influxUrl: r.influxUrl,
    postgresUrl: r.postgresUrl,
    postgresDatabaseUrl: r.postgresDatabaseUrl,
    mqttExternalUrl: r.mqttExternalUrl,
    chromiumPath: r.chromiumPath,
  };
}
