import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import type { IPoint } from 'influx';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { lineProtocol } from './influx.schema';
import { MetricsRepository } from './metrics.repository';

/** Where the shipper stands: the next record to ship is at `offset` of segment `segment`. */
export interface WalCursor {
  segment: number;
  offset: number;
}

export interface WalBatch {
  /** The batch's points as InfluxDB line protocol, one line each, ready to post to /write. */
  body: Buffer;
  points: number;
  /** Where the next read starts once these points are stored. */
  next: WalCursor;
  /** When the first record of the batch was appended (ms since the epoch). */
  firstAppendedAt: number;
}

export interface WalBacklog {
  bytes: number;
  points: number;
  oldestAgeSeconds: number;
  /** Publishers are waiting: the log reached INGEST_WAL_MAX_BYTES. */
  full: boolean;
  /** The last append failed (e.g. ENOSPC); publishers wait until it succeeds again. */
  writeError?: string;
}

// Frame: payload length, CRC-32 of the rest of the header and the payload, point count, append time.
const HEADER_BYTES = 20;
const SEGMENT_BYTES = 8 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const RETRY_MS = 1000;
const LOCK_FILE = 'owner.pid';
/** Logs open in this process (the lock file cannot tell two owners in one process apart). */
const openInThisProcess = new Set<string>();
const READ_WRITE_CREATE = constants.O_RDWR | constants.O_CREAT;
const NEWLINE = Buffer.from('\n');
/** Logs written before records were line protocol hold JSON arrays (`[`); a line never starts with one. */
const LEGACY_JSON_RECORD = 0x5b;
const segmentName = (n: number) => `${String(n).padStart(12, '0')}.wal`;

interface Segment {
  n: number;
  /** Bytes durable (fdatasync'd) in this segment. */
  size: number;
  points: number;
}

/**
 * The ingestion write-ahead log under DATA_DIR/ingest-wal: append-only segment files of
 * length+CRC framed records (one record: the InfluxDB points of one device message, as line protocol).
 * Appends are grouped and made durable with one write and one fdatasync: a commit starts as soon
 * as the previous one ended (what arrived meanwhile is the next group, so groups grow with the
 * load and a lone message waits only for its own fdatasync), or INGEST_WAL_COMMIT_MS after the
 * first append of a group when that is set above 0. An append's promise resolves only then, so whoever waits on it (a PUBACK)
 * only acknowledges what survives a crash. A torn or corrupt tail (a crash mid-write, never
 * acknowledged) is cut off at start. Why a file format of our own: docs/ingest-wal.md.
 */
@Injectable()
export class IngestWalRepository {
  private readonly logger = new Logger(IngestWalRepository.name);
  private readonly dir: string;
  private segments: Segment[] = [];
  private active?: FileHandle;
  private reader?: { n: number; handle: FileHandle };
  private shipped: WalCursor = { segment: 0, offset: 0 };
  private shippedPoints = 0;
  private oldestUnshippedAt?: number;
  private pending: Array<{ frame: Buffer; points: number; resolve: () => void }> = [];
  private pendingBytes = 0;
  /** Bytes of the group being written: in neither the segments nor `pending` until its commit ends. */
  private committingBytes = 0;
  /** Appends waiting for room in the log, oldest first: their publishers are held back. */
  private blocked: Array<{ frame: Buffer; points: number; resolve: () => void }> = [];
  private commitTimer?: { cancel: () => void };
  private retryAfterFailure = false;
  private committing = false;
  private writeError?: string;
  private closed = false;
  private readonly committedListeners: Array<() => void> = [];
  private readonly writableListeners: Array<(error: string | undefined) => void> = [];

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly metrics: MetricsRepository,
  ) {
    this.dir = join(config.dataDir, 'ingest-wal');
  }

  /** Opens the log, checks every record's CRC and cuts a torn tail off the last segment. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.takeOwnership();
    const numbers = (await readdir(this.dir))
      .filter((f) => /^\d{12}\.wal$/.test(f))
      .map((f) => Number(f.slice(0, 12)))
      .sort((a, b) => a - b);
    for (const [i, n] of numbers.entries()) {
      const { size, points, fileSize } = await this.scan(n);
      if (size < fileSize) {
        // Only the last segment can end in a torn write; elsewhere it is damage, and what follows is not trusted either.
        this.logger.warn(`ingest WAL ${segmentName(n)}: ${fileSize - size} bytes after the last valid record dropped`);
        const handle = await open(join(this.dir, segmentName(n)), 'r+');
        await handle.truncate(size);
        await handle.close();
        for (const later of numbers.slice(i + 1)) await rm(join(this.dir, segmentName(later)), { force: true });
        this.segments.push({ n, size, points });
        break;
      }
      this.segments.push({ n, size, points });
    }
    const last = this.segments.at(-1);
    this.shipped = { segment: this.segments[0]?.n ?? 1, offset: 0 };
    if (!last) this.segments.push({ n: 1, size: 0, points: 0 });
    this.active = await open(join(this.dir, segmentName(this.segments.at(-1)!.n)), READ_WRITE_CREATE);
    await this.syncDirectory();
    this.oldestUnshippedAt = this.backlogPoints() > 0 ? Date.now() : undefined;
    this.updateMetrics();
    const backlog = this.backlog();
    if (backlog.points > 0) this.logger.log(`ingest WAL: ${backlog.points} points (${backlog.bytes} bytes) to replay into InfluxDB`);
  }

  /**
   * One process per log: two writing one directory would overwrite each other's segments and ship
   * each other's records. Like PostgreSQL's postmaster.pid, a lock file names the owner; it is taken
   * over when that process is gone (a crash leaves it behind) or is this process (a container's pid 1
   * after a restart). A live owner on this host is refused with a clear error; an owner on another
   * host cannot be checked, so shared volumes need a DATA_DIR each (deploy/README).
   */
  private async takeOwnership(): Promise<void> {
    if (openInThisProcess.has(this.dir)) throw new Error(`the ingestion log ${this.dir} is already open in this process`);
    const lockFile = join(this.dir, LOCK_FILE);
    const me = `${process.pid}@${hostname()}`;
    for (;;) {
      try {
        const handle = await open(lockFile, 'wx');
        await handle.writeFile(me);
        await handle.datasync();
        await handle.close();
        openInThisProcess.add(this.dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = (await readFile(lockFile, 'utf8').catch(() => '')).trim();
      const [pid, host] = owner.split('@');
      if (owner !== me && host === hostname() && isAlive(Number(pid))) {
        throw new Error(`the ingestion log ${this.dir} is in use by process ${pid}: every platform process needs a DATA_DIR of its own`);
      }
      if (owner) this.logger.warn(`ingest WAL: taking over from ${owner}, which is no longer running here`);
      await rm(lockFile, { force: true });
    }
  }

  private async scan(n: number): Promise<{ size: number; points: number; fileSize: number }> {
    const handle = await open(join(this.dir, segmentName(n)), 'r');
    try {
      const data = await handle.readFile();
      let offset = 0;
      let points = 0;
      for (const frame of frames(data, 0, data.length)) {
        offset = frame.end;
        points += frame.points;
      }
      return { size: offset, points, fileSize: data.length };
    } finally {
      await handle.close();
    }
  }

  /**
   * Appends the points of one message. Resolves once they are durable; waits (holding the
   * publisher back) while the log is full or cannot be written. `bestEffort` (QoS 0): never waits,
   * returns false when the point could not be taken. A point that does not fit its measurement's
   * schema could never be stored: refused at once (rejected, or false), and logged.
   */
  append(points: IPoint[]): Promise<void>;
  append(points: IPoint[], bestEffort: true): boolean;
  append(points: IPoint[], bestEffort = false): Promise<void> | boolean {
    let frame: Buffer;
    try {
      frame = encode(points);
    } catch (error) {
      this.logger.error(`ingest WAL: a point cannot be stored: ${(error as Error).message}`);
      return bestEffort ? false : Promise.reject(error as Error);
    }
    const hasRoom = this.blocked.length === 0 && this.fits(frame);
    if (bestEffort) {
      if (!hasRoom || this.writeError) return false;
      this.enqueue(frame, points.length, () => undefined);
      return true;
    }
    return new Promise<void>((resolve) => {
      if (hasRoom) this.enqueue(frame, points.length, resolve);
      else {
        this.blocked.push({ frame, points: points.length, resolve });
        this.metrics.walHeldBack.set(this.blocked.length);
      }
    });
  }

  private enqueue(frame: Buffer, points: number, resolve: () => void): void {
    this.pending.push({ frame, points, resolve });
    this.pendingBytes += frame.length;
    this.scheduleCommit();
  }

  private scheduleCommit(delayMs = this.config.ingestWal.commitMs): void {
    if (this.commitTimer || this.committing) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => void this.commit(), delayMs);
      this.commitTimer = { cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(() => void this.commit());
      this.commitTimer = { cancel: () => clearImmediate(immediate) };
    }
  }

  private cancelCommit(): void {
    this.commitTimer?.cancel();
    this.commitTimer = undefined;
  }

  /** One group commit: a single write and fdatasync for every append since the last one. */
  private async commit(): Promise<void> {
    this.commitTimer = undefined;
    if (this.committing || this.closed || this.pending.length === 0) return;
    this.committing = true;
    const group = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const started = process.hrtime.bigint();
    try {
      let segment = this.segments.at(-1)!;
      if (segment.size > 0 && segment.size >= SEGMENT_BYTES) segment = await this.rotate();
      const buffer = Buffer.concat(group.map((g) => g.frame));
      this.committingBytes = buffer.length;
      try {
        const { bytesWritten } = await this.active!.write(buffer, 0, buffer.length, segment.size);
        // A full disk may take part of a write without an error: that is a failed write too.
        if (bytesWritten < buffer.length) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
        await this.active!.datasync();
      } catch (error) {
        // Cut a partial write off so the file ends on a whole record, then retry the same group.
        await this.active!.truncate(segment.size).catch(() => undefined);
        throw error;
      }
      segment.size += buffer.length;
      this.committingBytes = 0;
      const points = group.reduce((n, g) => n + g.points, 0);
      segment.points += points;
      this.oldestUnshippedAt ??= Date.now();
      this.metrics.walCommitSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (this.writeError) {
        this.logger.log(`ingest WAL writable again (${this.writeError})`);
        this.writeError = undefined;
        for (const listener of this.writableListeners) listener(undefined);
      }
      for (const g of group) g.resolve();
      for (const listener of this.committedListeners) listener();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      this.metrics.walWriteFailures.inc({ code });
      const first = !this.writeError;
      this.writeError = `${code}: ${(error as Error).message}`;
      if (first) {
        this.logger.error(`ingest WAL cannot be written (${(error as Error).message}): publishers are held back until it can`);
        for (const listener of this.writableListeners) listener(this.writeError);
      }
      this.committingBytes = 0;
      this.pending = group.concat(this.pending);
      this.pendingBytes = this.pending.reduce((n, g) => n + g.frame.length, 0);
      this.retryAfterFailure = true;
    } finally {
      this.committing = false;
      this.updateMetrics();
      if (this.pending.length > 0) this.scheduleCommit(this.retryAfterFailure ? RETRY_MS : undefined);
      this.retryAfterFailure = false;
    }
  }

  private async rotate(): Promise<Segment> {
    const next: Segment = { n: this.segments.at(-1)!.n + 1, size: 0, points: 0 };
    const handle = await open(join(this.dir, segmentName(next.n)), READ_WRITE_CREATE);
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    await this.syncDirectory();
    await this.active?.close();
    this.active = handle;
    this.segments.push(next);
    return next;
  }

  private async syncDirectory(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Calls `listener` after every group commit (the shipper's wake-up). */
  onCommitted(listener: () => void): void {
    this.committedListeners.push(listener);
  }

  /** Calls `listener` when the log becomes unwritable (with the error) and when it is writable again (undefined); not on every retry. */
  onWritableChange(listener: (error: string | undefined) => void): void {
    this.writableListeners.push(listener);
  }

  /** Reads durable records from `from` on, up to about `maxPoints` points. */
  async read(from: WalCursor, maxPoints: number): Promise<WalBatch | undefined> {
    let cursor = from;
    for (;;) {
      const segment = this.segments.find((s) => s.n === cursor.segment);
      if (!segment) return undefined;
      if (cursor.offset < segment.size) break;
      const next = this.segments.find((s) => s.n > cursor.segment);
      if (!next) return undefined;
      cursor = { segment: next.n, offset: 0 };
    }
    const segment = this.segments.find((s) => s.n === cursor.segment)!;
    if (this.reader?.n !== segment.n) {
      await this.reader?.handle.close();
      this.reader = { n: segment.n, handle: await open(join(this.dir, segmentName(segment.n)), 'r') };
    }
    let length = Math.min(READ_CHUNK_BYTES, segment.size - cursor.offset);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    await this.reader.handle.read(header, 0, HEADER_BYTES, cursor.offset);
    // A record larger than a chunk is read whole.
    length = Math.max(length, Math.min(HEADER_BYTES + header.readUInt32LE(0), segment.size - cursor.offset));
    const chunk = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.reader.handle.read(chunk, 0, length, cursor.offset);
    const lines: Buffer[] = [];
    let points = 0;
    let end = 0;
    let firstAppendedAt = 0;
    for (const frame of frames(chunk, 0, bytesRead)) {
      if (end === 0) firstAppendedAt = frame.appendedAt;
      if (lines.length > 0) lines.push(NEWLINE);
      lines.push(frame.payload[0] === LEGACY_JSON_RECORD ? Buffer.from(lineProtocol(JSON.parse(frame.payload.toString('utf8')) as IPoint[])) : frame.payload);
      points += frame.points;
      end = frame.end;
      if (points >= maxPoints) break;
    }
    if (end === 0) throw new Error(`ingest WAL ${segmentName(segment.n)}: no valid record at offset ${cursor.offset}`);
    return { body: Buffer.concat(lines), points, next: { segment: segment.n, offset: cursor.offset + end }, firstAppendedAt };
  }

  /** Everything before `cursor` is stored in InfluxDB: forget it and delete finished segments. */
  async release(cursor: WalCursor, points: number, nextAppendedAt?: number): Promise<void> {
    this.shipped = cursor;
    this.shippedPoints += points;
    while (this.segments.length > 1 && this.segments[0].n < cursor.segment) {
      const done = this.segments.shift()!;
      this.shippedPoints -= done.points;
      if (this.reader?.n === done.n) {
        await this.reader.handle.close();
        this.reader = undefined;
      }
      await rm(join(this.dir, segmentName(done.n)), { force: true });
    }
    this.oldestUnshippedAt = this.backlogPoints() > 0 ? (nextAppendedAt ?? this.oldestUnshippedAt) : undefined;
    this.admitBlocked();
    this.updateMetrics();
  }

  /** Notes when the oldest record still waiting was appended (the shipper learns it on reading). */
  noteOldest(appendedAt: number): void {
    this.oldestUnshippedAt = appendedAt;
  }

  private admitBlocked(): void {
    while (this.blocked.length > 0) {
      const next = this.blocked[0];
      if (!this.fits(next.frame)) break;
      this.blocked.shift();
      this.enqueue(next.frame, next.points, next.resolve);
    }
    this.metrics.walHeldBack.set(this.blocked.length);
  }

  /** Whether the log stays within INGEST_WAL_MAX_BYTES with `frame` added to everything written, being written and waiting. */
  private fits(frame: Buffer): boolean {
    return this.backlog().bytes + this.committingBytes + this.pendingBytes + frame.length <= this.config.ingestWal.maxBytes;
  }

  private backlogPoints(): number {
    return this.segments.reduce((n, s) => n + s.points, 0) - this.shippedPoints;
  }

  backlog(): WalBacklog {
    const bytes = this.segments.filter((s) => s.n >= this.shipped.segment).reduce((n, s) => n + s.size, 0) - this.shipped.offset;
    return {
      bytes: Math.max(0, bytes),
      points: Math.max(0, this.backlogPoints()),
      oldestAgeSeconds: this.oldestUnshippedAt === undefined ? 0 : Math.max(0, (Date.now() - this.oldestUnshippedAt) / 1000),
      full: this.blocked.length > 0,
      ...(this.writeError ? { writeError: this.writeError } : {}),
    };
  }

  /** The first record not yet stored, where a fresh shipper starts (after a restart: the whole log, replayed idempotently). */
  start(): WalCursor {
    return this.shipped;
  }

  private updateMetrics(): void {
    const b = this.backlog();
    this.metrics.walBacklogBytes.set(b.bytes);
    this.metrics.walBacklogPoints.set(b.points);
    this.metrics.influxPointsPending.set(b.points);
    this.metrics.walOldestAgeSeconds.set(b.oldestAgeSeconds);
    this.metrics.walWriteError.set(this.writeError ? 1 : 0);
  }

  /** Commits what is pending (one try) and closes the files; waiting publishers stay unacknowledged. */
  async close(): Promise<void> {
    this.cancelCommit();
    while (this.committing) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.commit();
    this.closed = true;
    this.cancelCommit();
    await this.reader?.handle.close();
    await this.active?.close();
    if (openInThisProcess.delete(this.dir)) await rm(join(this.dir, LOCK_FILE), { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One record: the message's points as line protocol, so shipping is concatenating records (no
 * parsing, no objects per point while a backlog drains).
 */
function encode(points: IPoint[]): Buffer {
  const payload = Buffer.from(lineProtocol(points), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(points.length, 8);
  frame.writeDoubleLE(Date.now(), 12);
  payload.copy(frame, HEADER_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

/** The whole, CRC-valid records of data[start, end), in order; stops at the first torn or corrupt one. */
function* frames(data: Buffer, start: number, end: number): Generator<{ payload: Buffer; points: number; appendedAt: number; end: number }> {
  let offset = start;
  while (offset + HEADER_BYTES <= end) {
    const length = data.readUInt32LE(offset);
    const frameEnd = offset + HEADER_BYTES + length;
    if (frameEnd > end) return;
    if (crc32(data.subarray(offset + 8, frameEnd)) !== data.readUInt32LE(offset + 4)) return;
    yield {
      payload: data.subarray(offset + HEADER_BYTES, frameEnd),
      points: data.readUInt32LE(offset + 8),
      appendedAt: data.readDoubleLE(offset + 12),
      end: frameEnd - start,
    };
    offset = frameEnd;
  }
}
