/**
 * Fuzz suites (tests/fuzz/*.e2e-spec.ts) run briefly in `npm test` and long in `npm run fuzz`
 * (scripts/fuzz.sh). `fuzzRuns()` says how many cases (FUZZ_RUNS scales the long run), `fuzzSeed()`
 * which seed (FUZZ_SEED replays a failing run), and `recordFuzz()` adds a row to the report
 * (FUZZ_REPORT names a JSON-lines file that scripts/fuzz.sh renders into bench/results/fuzz-latest.md).
 */
import { appendFileSync, readFileSync } from 'node:fs';

export interface FuzzResult {
  /** The suite, e.g. "MQTT payloads". */
  suite: string;
  /** Cases sent: messages, packets or requests. */
  sent: number;
  /** Outcome counts by name (stored, dead-lettered, 5xx, out-of-scope, crashes, …). */
  counts: Record<string, number>;
  seed: number;
  /** Failing cases, each with what is needed to replay it. */
  failures: string[];
  notes?: string;
}

/**
 * Number of cases: `short` in `npm test`; under `npm run fuzz` the long default, times FUZZ_RUNS
 * divided by the long default of the MQTT payload suite when FUZZ_RUNS is given.
 */
export function fuzzRuns(short: number, long: number): number {
  if (process.env.FUZZ_SCALE !== 'long') return short;
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(asked) && asked > 0 ? Math.max(1, Math.round((long * asked) / 1_000_000)) : long;
}

export function isLongFuzz(): boolean {
  return process.env.FUZZ_SCALE === 'long';
}

/** The seed of this run: FUZZ_SEED to replay one, otherwise a fresh one (printed in failures). */
export function fuzzSeed(): number {
  const given = Number(process.env.FUZZ_SEED);
  return Number.isInteger(given) ? given : Math.floor(Math.random() * 2 ** 31);
}

export function recordFuzz(result: FuzzResult): void {
  const file = process.env.FUZZ_REPORT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...result, scale: isLongFuzz() ? 'long' : 'short', at: new Date().toISOString() })}\n`);
}

/** Resident set size of this process (the in-process platform lives here), in bytes. */
export function residentBytes(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return kib ? Number(kib[1]) * 1024 : process.memoryUsage().rss;
}
