// Time ranges of the history page: presets, and the aggregation window (`every`) that keeps a
// range at most MAX_POINTS points, so a year stays as light as an hour (the server answers long
// ranges from the InfluxDB rollups).

export const MAX_POINTS = 1000;

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

export const PRESETS = [
  { key: '1h', ms: H },
  { key: '24h', ms: D },
  { key: '7d', ms: 7 * D },
  { key: '30d', ms: 30 * D },
  { key: '1y', ms: 365 * D },
];

const WINDOWS = [
  ['1s', S], ['2s', 2 * S], ['5s', 5 * S], ['10s', 10 * S], ['15s', 15 * S], ['30s', 30 * S],
  ['1m', M], ['2m', 2 * M], ['5m', 5 * M], ['10m', 10 * M], ['15m', 15 * M], ['30m', 30 * M],
  ['1h', H], ['2h', 2 * H], ['3h', 3 * H], ['6h', 6 * H], ['12h', 12 * H],
  ['1d', D], ['2d', 2 * D], ['7d', 7 * D], ['30d', 30 * D],
];

/** The narrowest window giving at most `max` buckets over [from, to] (ms). */
export function pickEvery(fromMs, toMs, max = MAX_POINTS) {
  const span = Math.max(1, toMs - fromMs);
  for (const [every, ms] of WINDOWS) if (span / ms <= max) return { every, ms };
  const [every, ms] = WINDOWS[WINDOWS.length - 1];
  return { every, ms };
}

/** "YYYY-MM-DDTHH:mm" in local time, for <input type="datetime-local">. */
export function toLocalInput(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
