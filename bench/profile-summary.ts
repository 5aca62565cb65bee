import { readFileSync } from 'node:fs';
import type { Profiler } from 'node:inspector';

/**
 * Summarises a V8 .cpuprofile of the platform under ingestion load: self time per function, and
 * per ingestion stage. A sample belongs to the stage of the nearest frame on its stack (leaf
 * first) whose script or function names one; node internals (streams, sockets, JSON) thus count
 * for the code that called them.
 */
export const STAGES: Array<[stage: string, pattern: RegExp]> = [
  ['GC', /^\(garbage collector\)$/],
  ['idle', /^\(idle\)$/],
  ['WAL append/fsync', /ingest-wal/],
  ['Influx line building + write', /influx|ingest-shipper/],
  ['live-state merge', /live-state/],
  ['rules', /alarm-|parking-gate|event-bus|supervision/],
  ['socket push', /socket\.io|engine\.io|websocket|\/ws\//],
  ['Redis (presence, live state, dead letters)', /redis|presence/],
  ['metrics', /prom-client|metrics/],
  ['parse + validate', /device-message|\/zod\/|contracts|ingest\.service|device-directory/],
  ['broker/auth', /aedes|mqtt-packet|broker|device-auth|\/bl\/|fastq|readable-stream|mqtt-frame/],
];

export interface ProfileSummary {
  totalMs: number;
  stages: Array<{ stage: string; ms: number; share: number }>;
  top: Array<{ fn: string; where: string; selfMs: number; share: number; stage: string }>;
}

const shortUrl = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/');

export function summariseProfile(profile: Profiler.Profile, topN = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOfNode = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = stageOfNode.get(id);
    if (known) return known;
    const { callFrame } = byId.get(id)!;
    const label = callFrame.url ? shortUrl(callFrame.url) : callFrame.functionName;
    const own = STAGES.find(([, re]) => re.test(label))?.[0];
    const up = parent.get(id);
    const stage = own ?? (up === undefined ? 'other (node, Nest, timers)' : stageOf(up));
    stageOfNode.set(id, stage);
    return stage;
  };
  // Sample i lasted timeDeltas[i + 1] (the next sample's delta).
  const selfUs = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const stageUs = new Map<string, number>();
  const fnUs = new Map<string, { fn: string; where: string; us: number; stage: string }>();
  for (const [id, us] of selfUs) {
    const stage = stageOf(id);
    stageUs.set(stage, (stageUs.get(stage) ?? 0) + us);
    const { callFrame } = byId.get(id)!;
    const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : '(native)';
    const key = `${callFrame.functionName}|${where}|${stage}`;
    const entry = fnUs.get(key) ?? { fn: callFrame.functionName || '(anonymous)', where, us: 0, stage };
    entry.us += us;
    fnUs.set(key, entry);
  }
  const share = (us: number) => Number(((100 * us) / totalUs).toFixed(1));
  return {
    totalMs: Math.round(totalUs / 1000),
    stages: [...stageUs].sort((a, b) => b[1] - a[1]).map(([stage, us]) => ({ stage, ms: Math.round(us / 1000), share: share(us) })),
    top: [...fnUs.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ fn: f.fn, where: f.where, selfMs: Math.round(f.us / 1000), share: share(f.us), stage: f.stage })),
  };
}

/** The summary as markdown; `messages` (stored during the profile) gives µs per message. */
export function profileMarkdown(s: ProfileSummary, messages: number): string {
  const perMsg = (ms: number) => (messages > 0 ? ((ms * 1000) / messages).toFixed(1) : '–');
  return [
    `Profiled ${s.totalMs} ms of the platform's main thread while it stored ${messages} messages.`,
    '',
    '| stage | ms | share | µs/msg |',
    '|---|---|---|---|',
    ...s.stages.map((r) => `| ${r.stage} | ${r.ms} | ${r.share} % | ${r.stage === 'idle' ? '–' : perMsg(r.ms)} |`),
    '',
    '| self time, top functions | where | stage | ms | share |',
    '|---|---|---|---|---|',
    ...s.top.map((f) => `| \`${f.fn}\` | ${f.where} | ${f.stage} | ${f.selfMs} | ${f.share} % |`),
    '',
  ].join('\n');
}

if (require.main === module) {
  const [file, messages] = process.argv.slice(2);
  if (!file) throw new Error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [messages]');
  console.log(profileMarkdown(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profiler.Profile), Number(messages ?? 0)));
}
