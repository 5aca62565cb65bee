/**
 * The ingestion write-ahead log on a real file system (issue 9 §1): appends resolve once durable
 * and read back in order; a torn tail (a crash mid-write, never acknowledged) is cut off at the
 * next open and nothing before it is lost; at INGEST_WAL_MAX_BYTES an append waits for room
 * instead of anything being dropped; shipped segments are deleted.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { IPoint } from 'influx';
import type { PlatformConfig } from '../../apps/platform/src/config/config';
import { IngestWalRepository } from '../../apps/platform/src/repositories/ingest-wal.repository';
import { MetricsRepository } from '../../apps/platform/src/repositories/metrics.repository';

const point = (i: number): IPoint => ({ measurement: 'fire', tags: { device_id: 'd1' }, fields: { value: i }, timestamp: `${1_795_000_000_000 + i}000000` });
const lineOf = (i: number) => `fire,device_id=d1 value=${i} ${1_795_000_000_000 + i}000000`;

describe('ingestion write-ahead log', () => {
  let dataDir: string;
  const open = async (maxBytes = 1024 * 1024 * 1024, commitMs = 5) => {
    const wal = new IngestWalRepository({ dataDir, ingestWal: { maxBytes, commitMs } } as PlatformConfig, new MetricsRepository());
    await wal.open();
    return wal;
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'spp-wal-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reads back what was appended, in order, also after a reopen', async () => {
    const wal = await open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append([point(i)])));
    expect(wal.backlog()).toMatchObject({ points: 100, full: false });
    await wal.close();

    const again = await open();
    const batch = await again.read(again.start(), 1000);
    expect(batch?.points).toBe(100);
    expect(batch?.body.toString().split('\n')).toEqual(Array.from({ length: 100 }, (_, i) => lineOf(i)));
    await again.release(batch!.next, batch!.points);
    expect(again.backlog()).toMatchObject({ points: 0, bytes: 0 });
    await again.close();
  });

  it('cuts a torn tail off at open and keeps every whole record before it', async () => {
    const wal = await open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => wal.append([point(i)])));
    await wal.close();
    const segment = join(dataDir, 'ingest-wal', readdirSync(join(dataDir, 'ingest-wal'))[0]);
    const goodSize = statSync(segment).size;
    // Half a record: a length that promises more than follows.
    appendFileSync(segment, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7]));

    const again = await open();
    expect(statSync(segment).size).toBe(goodSize);
    const batch = await again.read(again.start(), 1000);
    expect(batch?.points).toBe(10);
    await again.close();
  });

  it('holds an append back at INGEST_WAL_MAX_BYTES until shipped records make room', async () => {
    // Records of this point are about 65 bytes: 15 fit in 1000, a 16th does not.
    const wal = await open(1000);
    const first = Array.from({ length: 15 }, (_, i) => wal.append([point(i)]));
    await Promise.all(first);
    let admitted = false;
    const held = wal.append([point(99)]).then(() => (admitted = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(wal.backlog().full).toBe(true);
    expect(admitted).toBe(false);

    const batch = await wal.read(wal.start(), 1000);
    await wal.release(batch!.next, batch!.points);
    await held;
    expect(wal.backlog()).toMatchObject({ points: 1, full: false });
    await wal.close();
  });

  it('takes a best-effort (QoS 0) point only when there is room, never waiting', async () => {
    const wal = await open(100);
    expect(wal.append([point(1)], true)).toBe(true);
    expect(wal.append([point(2)], true)).toBe(false);
    await wal.close();
  });

  it('belongs to one process: a second owner is refused, a dead owner\'s lock is taken over', async () => {
    const wal = await open();
    await expect(open()).rejects.toThrow(/already open in this process/);
    await wal.close();

    // Another live process on this host holds the log (this test's parent, jest's own process tree).
    writeFileSync(join(dataDir, 'ingest-wal', 'owner.pid'), `${process.ppid}@${hostname()}`);
    await expect(open()).rejects.toThrow(`is in use by process ${process.ppid}`);

    // The owner was killed (kill -9 leaves its lock behind): the next start takes the log over.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    mkdirSync(join(dataDir, 'ingest-wal'), { recursive: true });
    writeFileSync(join(dataDir, 'ingest-wal', 'owner.pid'), `${gone}@${hostname()}`);
    const again = await open();
    await again.append([point(1)]);
    await again.close();
    expect(readdirSync(join(dataDir, 'ingest-wal'))).not.toContain('owner.pid');
  });

  it('counts a group being written against the bound: an append during its fdatasync is held back', async () => {
    const probe = await open();
    await probe.append([point(0)]);
    const frameBytes = probe.backlog().bytes;
    await probe.close();
    rmSync(join(dataDir, 'ingest-wal'), { recursive: true, force: true });

    // Commits back to back (the default): the group starts on the next turn of the event loop, then waits for its write and fdatasync.
    const wal = await open(frameBytes + Math.floor(frameBytes / 2), 0);
    const first = wal.append([point(1)]);
    await new Promise((resolve) => setImmediate(resolve));
    const second = wal.append([point(2)]);
    expect(wal.backlog().full).toBe(true);
    await first;
    expect(wal.backlog().bytes).toBeLessThanOrEqual(frameBytes + Math.floor(frameBytes / 2));
    const batch = await wal.read(wal.start(), 1000);
    await wal.release(batch!.next, batch!.points);
    await second;
    await wal.close();
  });

  it('refuses a point outside its measurement\'s schema at once, before anything is acknowledged', async () => {
    const wal = await open();
    await expect(wal.append([{ measurement: 'fire', tags: { device_id: 'd1' }, fields: { colour: 'red' } }])).rejects.toThrow(/outside the fire schema/);
    expect(wal.append([{ measurement: 'lift', fields: { value: 1 } }], true)).toBe(false);
    expect(wal.backlog().points).toBe(0);
    await wal.close();
  });

  it('replays a log written before records were line protocol (JSON records) as line protocol', async () => {
    // A record as the JSON-era encode() wrote it: length, CRC-32 of the rest, point count, append time, payload.
    const payload = Buffer.from(JSON.stringify([point(7), point(8)]));
    const frame = Buffer.alloc(20 + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(2, 8);
    frame.writeDoubleLE(Date.now(), 12);
    payload.copy(frame, 20);
    frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
    mkdirSync(join(dataDir, 'ingest-wal'), { recursive: true });
    writeFileSync(join(dataDir, 'ingest-wal', '000000000001.wal'), frame);

    const wal = await open();
    await wal.append([point(9)]);
    const batch = await wal.read(wal.start(), 1000);
    expect(batch?.points).toBe(3);
    expect(batch?.body.toString().split('\n')).toEqual([lineOf(7), lineOf(8), lineOf(9)]);
    await wal.close();
  });
});
