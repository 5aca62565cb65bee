import { readFileSync } from 'node:fs';

/**
 * Summarises V8 heap snapshots (written with --heapsnapshot-signal) by what holds the memory:
 * self size and count per node type and constructor (or function, or string) name. The
 * difference of two snapshots, divided by what was added between them (devices connected),
 * tells what one more device costs and which objects make up that cost.
 */
export type HeapTally = Map<string, { bytes: number; count: number }>;

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self bytes and counts per "type name" (e.g. "object Client", "closure onData", "string"). */
export function tallyHeapSnapshot(file: string): HeapTally {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const tally: HeapTally = new Map();
  for (let i = 0; i < raw.nodes.length; i += width) {
    const type = types[raw.nodes[i + typeAt]];
    // Strings and numbers are named by their content: group them by type only.
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'code';
    const key = named ? `${type} ${raw.strings[raw.nodes[i + nameAt]].slice(0, 80)}` : type;
    const entry = tally.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += raw.nodes[i + sizeAt];
    entry.count += 1;
    tally.set(key, entry);
  }
  return tally;
}

export interface HeapGrowth {
  totalBytesPerUnit: number;
  top: Array<{ what: string; bytesPerUnit: number; countPerUnit: number }>;
}

/** What grew from `before` to `after`, per unit added (e.g. per device connected), largest first. */
export function heapGrowthPerUnit(before: HeapTally, after: HeapTally, units: number, topN = 25): HeapGrowth {
  const rows: HeapGrowth['top'] = [];
  let total = 0;
  for (const [what, a] of after) {
    const b = before.get(what) ?? { bytes: 0, count: 0 };
    const bytes = a.bytes - b.bytes;
    total += bytes;
    rows.push({ what, bytesPerUnit: Math.round(bytes / units), countPerUnit: Number(((a.count - b.count) / units).toFixed(2)) });
  }
  for (const [what, b] of before) if (!after.has(what)) total -= b.bytes;
  rows.sort((x, y) => y.bytesPerUnit - x.bytesPerUnit);
  return { totalBytesPerUnit: Math.round(total / units), top: rows.slice(0, topN) };
}
