#!/usr/bin/env node
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { runBadInput } from './modes/bad-input';
import { GlobalOptions, Reporter } from './modes/common';
import { runDemo } from './modes/demo';
import { runFleet, type FleetOptions } from './modes/fleet';
import { runGateScenarios } from './modes/gate-scenarios';
import { provisionLoadDevices, runLoad } from './modes/load';
import { runScenario } from './modes/scenario';
import { DEFAULT_DATA_DIR } from './credentials';

function int(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function num(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number ≥ ${min}`);
    return n;
  };
}

const program = new Command();
program
  .name('device-sim')
  .description('Device simulator for the smart-property platform: elevators, fire devices and parking gates over MQTT (contract §2)')
  .option('--api <url>', 'platform base URL', 'http://127.0.0.1:3000')
  .option('--username <name>', 'platform administrator, for provisioning through REST', process.env.SIM_USERNAME)
  .option('--password <password>', 'administrator password', process.env.SIM_PASSWORD)
  .option('--mqtt <url>', 'MQTT broker URL', 'mqtt://127.0.0.1:1883')
  .option('--credentials <file>', 'use existing device credentials JSON instead of provisioning')
  .option('--community <id>', 'reuse this community (its credentials file under --data-dir if present)')
  .option('--seed <n>', 'seed for deterministic randomness', int('--seed'))
  .option('--duration <s>', 'stop after this many seconds', num('--duration'))
  .option('--json', 'machine-readable progress: one JSON object per line', false)
  .addOption(new Option('--protocol <v>', 'MQTT protocol version').choices(['4', '5']).default(4).argParser((v) => Number(v) as 4 | 5))
  .option('--data-dir <dir>', 'where credentials files are kept', DEFAULT_DATA_DIR)
  .showHelpAfterError();

function globals(): GlobalOptions {
  return program.opts() as GlobalOptions;
}

program
  .command('demo')
  .description('provision (or reuse) the 阳光花园 demo estate and run it: elevators, fire devices, parking gates')
  .option('--incidents <rate>', 'incident probability: emergency calls per elevator trip, fire incidents per device-minute', num('--incidents'), 0)
  .option('--vehicle-interval <s>', 'mean seconds between vehicles per gate lane', num('--vehicle-interval', 1), 30)
  .option('--call-interval <s>', 'mean seconds between elevator calls', num('--call-interval', 1), 20)
  .action(async (o: { incidents: number; vehicleInterval: number; callInterval: number }) => {
    await runDemo({ ...globals(), incidents: o.incidents, vehicleInterval: o.vehicleInterval, callInterval: o.callInterval });
  });

program
  .command('load')
  .description('connect many devices and publish telemetry at a fixed total rate; reports PUBACK latency')
  .option('--devices <n>', 'number of devices', int('--devices', 1), 100)
  .option('--rate <r>', 'total messages per second across all devices', num('--rate', 0.001), 1000)
  .addOption(new Option('--qos <q>', 'telemetry QoS').choices(['0', '1']).default(1).argParser((v) => Number(v) as 0 | 1))
  .option('--window <n>', 'max unacknowledged QoS 1 publishes per connection', int('--window', 1), 200)
  .addOption(new Option('--kind <kind>', 'device kinds to provision').choices(['mix', 'elevator', 'fire', 'gate']).default('mix'))
  .option('--credentials-out <file>', 'write the device list with secrets here (reusable with --credentials)')
  .option('--fake-devices', 'made-up device ids, no provisioning (plain/anonymous broker only)', false)
  .option('--connect-concurrency <n>', 'parallel MQTT connects', int('--connect-concurrency', 1), 100)
  .action(async (o: { devices: number; rate: number; qos: 0 | 1; window: number; kind: 'mix'; credentialsOut?: string; fakeDevices: boolean; connectConcurrency: number }) => {
    await runLoad({ ...globals(), ...o });
  });

program
  .command('fleet')
  .description("a property company's fleet on lean MQTT connections: each device connects (with back-off and jitter on failure), publishes a reading every --interval s at QoS 1 and pings every keep-alive period; prints connections, rates, errors by kind and PUBACK latency")
  .option('--devices <n>', 'number of devices', int('--devices', 1), 1000)
  .option('--interval <s>', 'seconds between two readings of a device', num('--interval', 0.1), 30)
  .option('--keepalive <s>', 'MQTT keep-alive in seconds (a PINGREQ each period); 0 = none', int('--keepalive'), 60)
  .addOption(new Option('--qos <q>', 'telemetry QoS').choices(['0', '1']).default(1).argParser((v) => Number(v) as 0 | 1))
  .option('--connect-rate <n>', 'first connections per second, whole fleet (a power-on ramp); 0 = all at once', num('--connect-rate'), 2000)
  .option('--connect-timeout <s>', 'seconds to wait for CONNACK before retrying', num('--connect-timeout', 1), 30)
  .option('--backoff-min <s>', 'first reconnect back-off step', num('--backoff-min', 0.01), 1)
  .option('--backoff-max <s>', 'largest reconnect back-off step', num('--backoff-max', 0.01), 30)
  .option('--source-addresses <list>', 'local addresses to connect from, e.g. 127.0.0.2-127.0.0.30 (default on loopback: 127.0.0.2 upwards, --per-address each)')
  .option('--per-address <n>', 'connections per automatically chosen source address', int('--per-address', 1), 2000)
  .option('--processes <n>', 'generator processes; 0 = as many as the open-file limit needs', int('--processes'), 0)
  .option('--per-community <n>', 'devices per community when provisioning', int('--per-community', 1), 500)
  .option('--credentials-out <file>', 'where to write the provisioned devices with their secrets')
  .option('--fake-devices', 'made-up device ids, no provisioning (plain/anonymous broker only)', false)
  .action(async (o: Omit<FleetOptions, keyof GlobalOptions>) => {
    await runFleet({ ...globals(), ...o });
  });

program
  .command('provision')
  .description('only provision load devices and export them with their secrets (for the benchmark)')
  .option('--devices <n>', 'number of devices', int('--devices', 1), 100)
  .addOption(new Option('--kind <kind>', 'device kinds').choices(['mix', 'elevator', 'fire', 'gate']).default('mix'))
  .requiredOption('--credentials-out <file>', 'where to write the device list with secrets')
  .action(async (o: { devices: number; kind: 'mix'; credentialsOut: string }) => {
    const g = globals();
    const reporter = new Reporter(!!g.json);
    const { file, creds } = await provisionLoadDevices({ ...g, ...o, dataDir: g.dataDir }, reporter);
    reporter.record('provisioned', { file: o.credentialsOut, source: file, devices: creds.devices.length, communityId: creds.communityId }, `wrote ${creds.devices.length} devices to ${o.credentialsOut}`);
  });

program
  .command('bad-input')
  .description('send each kind of bad input and report what the broker and platform did')
  .option('--fake-devices', 'made-up device ids (anonymous broker only)', false)
  .option('--wait <ms>', 'how long to wait for each answer', int('--wait', 100), 3000)
  .action(async (o: { fakeDevices: boolean; wait: number }) => {
    const results = await runBadInput({ ...globals(), ...o });
    process.exitCode = results.some((r) => r.verdict === 'fail') ? 2 : 0;
  });

program
  .command('scenario')
  .description('play one scripted incident on one elevator: trapped = normal trips, then passengers trapped until --duration s, a "release" command or Ctrl-C')
  .addArgument(new Argument('<name>', 'scenario').choices(['trapped']))
  .option('--level', 'trapped at a landing (door does not open) instead of between floors', false)
  .option('--not-level', 'trapped between floors (the default)')
  .option('--device <id>', 'elevator id: which one of --credentials, or the id to provision')
  .option('--trips <n>', 'normal trips before the incident', int('--trips'), 2)
  .option('--event-after <s>', 'seconds stuck before the terminal reports the trapped event itself', num('--event-after'), 30)
  .option('--time-scale <x>', 'simulated seconds per real second', num('--time-scale', 0.1), 1)
  .action(async (name: 'trapped', o: { level: boolean; notLevel?: boolean; device?: string; trips: number; eventAfter: number; timeScale: number }) => {
    const g = globals();
    if (o.level && o.notLevel) throw new InvalidArgumentError('--level and --not-level exclude each other');
    await runScenario(name, { ...g, ...o, level: o.level }, new Reporter(!!g.json));
  });

program
  .command('gate-scenarios')
  .description('one parking gate plays a booked arrival, a visitor, an emergency vehicle, an unreadable plate and a duplicate exit; prints expected vs observed command (exit code 2 on a mismatch)')
  .option('--wait <ms>', 'how long to wait for each command', int('--wait', 100), 5000)
  .action(async (o: { wait: number }) => {
    const g = globals();
    const results = await runGateScenarios({ ...g, ...o }, new Reporter(!!g.json));
    process.exitCode = results.some((r) => !r.ok) ? 2 : 0;
  });

program.parseAsync(process.argv).then(
  () => {
    // MQTT sockets are closed by the modes; make sure a stray timer cannot keep us alive.
    setTimeout(() => process.exit(), 500).unref();
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (program.opts().json) process.stdout.write(JSON.stringify({ type: 'error', message }) + '\n');
    else console.error(`device-sim: ${message}`);
    process.exit(1);
  },
);
