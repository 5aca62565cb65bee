import { existsSync, readFileSync } from 'node:fs';
import { cleanUpRun, runRecordFile } from './processes';
import { servicesFileEnv, type TestRunRecord } from './test-services';

/** Stops the services global-setup started for this run and removes their temporary directory. */
export default async function globalTeardown(): Promise<void> {
  const t0 = Date.now();
  const file = process.env[servicesFileEnv] || runRecordFile(process.pid);
  if (!existsSync(file)) return;
  const record = JSON.parse(readFileSync(file, 'utf8')) as TestRunRecord;
  if (process.env.SPP_TEST_KEEP_SERVICES) {
    process.stderr.write(`[test-services] SPP_TEST_KEEP_SERVICES is set: leaving services running (${file})\n`);
    return;
  }
  await cleanUpRun(record, file);
  delete process.env[servicesFileEnv];
  process.stderr.write(`[test-services] stopped in ${Date.now() - t0} ms\n`);
}
