import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Command, Option } from 'commander';
import {
  createCommunityRequestSchema,
  createDeviceRequestSchema,
  createUserRequestSchema,
  deviceKinds,
  fireSubtypes,
  roles,
} from '@app/contracts';
import { AppModule } from './app.module';
import { ConfigError, parseConfig, processEnvironment } from './config/config';
import { DatabaseRepository } from './repositories/database.repository';
import { AuthService } from './services/auth.service';
import type { AuthUser } from './services/auth-user';
import { CommunityService } from './services/community.service';
import { importResultCsv } from './domain/device-import';
import { DeviceImportService } from './services/device-import.service';
import { DeviceService } from './services/device.service';
import { UserRepository } from './repositories/user.repository';

/**
 * Operator commands against the same database and Redis as the platform, e.g.
 *   npm run cli -- device add --community <id> --kind elevator --name "1号梯"
 * Runs the same services (and so the same checks and audit log) as the REST API, acting as
 * the administrator named by --as.
 */
/** Nest's console logger writes warnings to stdout, which carries the commands' JSON results: here they go to stderr. */
const stderrLogger: LoggerService = {
  log: () => undefined,
  warn: (message: unknown, ...rest: unknown[]) => console.error('WARN', message, ...rest),
  error: (message: unknown, ...rest: unknown[]) => console.error('ERROR', message, ...rest),
};

async function withServices<T>(as: string, run: (ctx: { actor: AuthUser; get: <S>(type: new (...args: never[]) => S) => S }) => Promise<T>): Promise<T> {
  // Only the API's duties: a CLI run next to a running platform must not start a broker, take the
  // ingestion log (one process's) or run workers and sweeps.
  const config = parseConfig({ ...processEnvironment(), ROLES: 'api' });
  // Migrate first: services read their tables while the application context starts, and on a
  // fresh install (e.g. a bulk import before the first start) those tables do not exist yet.
  const database = new DatabaseRepository(config);
  try {
    await database.migrate();
  } finally {
    await database.onApplicationShutdown();
  }
  const app = await NestFactory.createApplicationContext(AppModule.register(config), { logger: stderrLogger });
  try {
    await app.get(AuthService).ensureAdministrator();
    const row = await app.get(UserRepository).findByUsername(as);
    if (!row) throw new Error(`no user "${as}" (use --as with an administrator's username)`);
    const actor = await app.get(AuthService).authenticateUserId(row.id);
    if (actor.role !== 'platform_admin') throw new Error(`"${as}" is not a platform administrator`);
    return await run({ actor, get: (type) => app.get(type) });
  } finally {
    await app.close();
  }
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function parseOrExit<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('\n'));
  }
  return result.data;
}

/** A JSON import file: the REST form `{ communityId?, devices }`, or a bare array of devices. */
const asImportRequest = (value: unknown) => (Array.isArray(value) ? { devices: value } : value);

const program = new Command('spp-cli').description('Smart-property platform operator commands').option('--as <username>', 'administrator to act as', 'admin');
const as = () => program.opts<{ as: string }>().as;

const community = program.command('community').description('communities');
community
  .command('add')
  .requiredOption('--name <name>')
  .requiredOption('--district <district>', '区')
  .requiredOption('--street <street>', '街道')
  .option('--address <address>')
  .action((o: { name: string; district: string; street: string; address?: string }) =>
    withServices(as(), async ({ actor, get }) => print(await get(CommunityService).create(actor, parseOrExit(createCommunityRequestSchema, o)))),
  );
community.command('list').action(() => withServices(as(), async ({ actor, get }) => print(await get(CommunityService).list(actor))));

const device = program.command('device').alias('devices').description('devices and their credentials');
device
  .command('add')
  .description('provision a device; prints its secret once')
  .requiredOption('--community <id>')
  .addOption(new Option('--kind <kind>').choices([...deviceKinds]).makeOptionMandatory())
  .addOption(new Option('--subtype <subtype>', 'fire devices only').choices([...fireSubtypes]))
  .requiredOption('--name <name>')
  .option('--id <id>', 'device id; generated when omitted')
  .option('--location <location>')
  .action((o: { community: string; kind: string; subtype?: string; name: string; id?: string; location?: string }) =>
    withServices(as(), async ({ actor, get }) =>
      print(await get(DeviceService).provision(actor, parseOrExit(createDeviceRequestSchema, { ...o, communityId: o.community, community: undefined }))),
    ),
  );
device
  .command('list')
  .option('--community <id>')
  .action((o: { community?: string }) => withServices(as(), async ({ actor, get }) => print(await get(DeviceService).list(actor, o.community))));
device
  .command('rotate <id>')
  .description('issue a new secret (printed once); the old one stops working at once')
  .action((id: string) => withServices(as(), async ({ actor, get }) => print(await get(DeviceService).rotateSecret(actor, id))));
device
  .command('import <file>')
  .description('provision many devices from a CSV or XLSX file (columns id,communityId,kind,subtype,name,location,buildingId) or JSON; writes the secrets once to --out')
  .option('--community <id>', 'community of rows that name none')
  .option('--out <file>', 'where to write the created devices with their secrets and the rejected rows (.csv or .json)')
  .option('--batch-size <n>', 'rows per transaction', (v) => Number(v), 1000)
  .action((file: string, o: { community?: string; out?: string; batchSize: number }) =>
    withServices(as(), async ({ actor, get }) => {
      const content = readFileSync(file);
      const source = /\.json$/i.test(file) ? { json: asImportRequest(JSON.parse(content.toString('utf8'))) } : { table: { content } };
      // The outcome is CSV or JSON: an .xlsx import's goes to .secrets.csv.
      const out = o.out ?? file.replace(/(\.[^./]+)?$/, (ext) => `.secrets${/^\.xlsx$/i.test(ext) ? '.csv' : ext}`);
      const result = await get(DeviceImportService).importFile(actor, source, {
        communityId: o.community,
        batchSize: o.batchSize,
        onBatch: (p) => console.error(`batch ${p.batch}/${p.batches}: ${p.created} created, ${p.rejected} rejected so far`),
      });
      // The file holds device secrets: readable by its owner only.
      writeFileSync(out, /\.json$/i.test(out) ? JSON.stringify(result, null, 2) + '\n' : await importResultCsv(result), { mode: 0o600 });
      print({ rows: result.rows, created: result.created, rejected: result.rejected, batches: result.batches, elapsedMs: result.elapsedMs, secretsWrittenTo: out });
      if (result.rejected.length > 0) process.exitCode = 2;
    }),
  );
device.command('disable <id>').action((id: string) => withServices(as(), async ({ actor, get }) => print(await get(DeviceService).setDisabled(actor, id, true))));
device.command('enable <id>').action((id: string) => withServices(as(), async ({ actor, get }) => print(await get(DeviceService).setDisabled(actor, id, false))));

program
  .command('user')
  .description('users')
  .command('add')
  .requiredOption('--username <username>')
  .requiredOption('--password <password>')
  .addOption(new Option('--role <role>').choices([...roles]).makeOptionMandatory())
  .option('--communities <ids>', 'comma list: scope to these communities')
  .option('--street <street>', 'scope to a street (with --district)')
  .option('--district <district>', 'scope to a district')
  .action((o: { username: string; password: string; role: string; communities?: string; street?: string; district?: string }) => {
    const scope = o.communities
      ? { level: 'community', communityIds: o.communities.split(',') }
      : o.street
        ? { level: 'street', street: o.street, district: o.district }
        : o.district
          ? { level: 'district', district: o.district }
          : { level: 'platform' };
    return withServices(as(), async ({ actor, get }) => print(await get(AuthService).createUser(actor, parseOrExit(createUserRequestSchema, { ...o, scope }))));
  });

program.parseAsync(process.argv).catch((error: Error) => {
  console.error(error instanceof ConfigError ? error.message : `error: ${error.message}`);
  process.exit(1);
});
