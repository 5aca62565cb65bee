import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { sql, type Transaction } from 'kysely';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

/** Topics of the outbox and the payload each carries. */
export interface OutboxTopics {
  /** A qualifying alarm was raised: its maintenance-fund case is to be opened (key: the alarm id). */
  'fund.case-for-alarm': { alarmId: string; deviceId: string; communityId: string; type: string; severity: number; state: string; ts: number };
  /** A green-channel case was disclosed: its shares are to be taken from the unit accounts (key: the case id). */
  'fund-account.case-shares': { caseId: string };
  /** An alarm was raised: it is to be announced and its escalation started (key: the alarm id). */
  'alarm.raised-follow-up': { alarmId: string };
}
export type OutboxTopic = keyof OutboxTopics;

type Handler<T extends OutboxTopic> = (payload: OutboxTopics[T]) => Promise<void>;

/**
 * `writerFollowsUp`: the writing process does the work itself right after its commit and then
 * calls done(); the relay only takes rows left that long (its crash), even at start.
 */
export interface OutboxHandling {
  writerFollowsUp?: boolean;
}

/** Rows younger than this are left to the process that wrote them (it relays right after its commit). */
const SWEEP_MIN_AGE_MS = 5_000;
const SWEEP_INTERVAL_MS = 10_000;
const RELAY_BATCH = 100;

/**
 * The transactional outbox (workflow rows of migrations/0009): work that must follow a write is
 * a row written in that write's transaction, so a crash after the commit cannot lose it. The
 * writing process relays at once (kick()); processes with the worker role also sweep what is
 * left (a crash, a failed handler) at start and every 10 s. Handlers are idempotent on the row's
 * key, since two processes, or a crash after the handler, may relay a row twice; a relayed row
 * is deleted.
 */
@Injectable()
export class OutboxRepository implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRepository.name);
  private readonly handlers = new Map<OutboxTopic, Handler<OutboxTopic>>();
  private readonly followedUpByWriter = new Set<OutboxTopic>();
  private relaying?: Promise<number>;
  private again = false;
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly database: DatabaseRepository,
  ) {}

  handle<T extends OutboxTopic>(topic: T, handler: Handler<T>, { writerFollowsUp = false }: OutboxHandling = {}): void {
    if (this.handlers.has(topic)) throw new Error(`outbox topic ${topic} has two handlers`);
    this.handlers.set(topic, handler as Handler<OutboxTopic>);
    if (writerFollowsUp) this.followedUpByWriter.add(topic);
  }

  /** Writes an outbox row inside the caller's transaction; the same (topic, key) twice is one row. */
  async add<T extends OutboxTopic>(tx: Transaction<Database>, topic: T, key: string, payload: OutboxTopics[T]): Promise<void> {
    await tx.insertInto('outbox').values({ topic, key, payload: JSON.stringify(payload) }).onConflict((oc) => oc.columns(['topic', 'key']).doNothing()).execute();
  }

  /** The writer did the row's work itself (a `writerFollowsUp` topic): the row goes. */
  async done(topic: OutboxTopic, key: string): Promise<void> {
    await this.database.db.deleteFrom('outbox').where('topic', '=', topic).where('key', '=', key).execute();
  }

  /** Relays now, after a commit that wrote rows (in the background; failures stay for the sweep). */
  kick(): void {
    void this.relay(0).catch((error: Error) => this.logger.warn(`outbox relay failed: ${error.message}`));
  }

  async pendingCount(): Promise<number> {
    const row = await this.database.db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Relays the rows older than minAgeMs; one relay at a time per process, another pass if asked meanwhile. Returns how many were relayed. */
  relay(minAgeMs = 0): Promise<number> {
    if (this.relaying) {
      this.again = true;
      return this.relaying;
    }
    this.relaying = this.relayAll(minAgeMs).finally(() => {
      this.relaying = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
    return this.relaying;
  }

  private async relayAll(minAgeMs: number): Promise<number> {
    const topics = [...this.handlers.keys()];
    if (topics.length === 0) return 0;
    let relayed = 0;
    let afterId = '0';
    for (;;) {
      const rows = await this.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('topic', 'in', topics)
        .where('id', '>', afterId)
        .where('created_at', '<=', sql<Date>`now() - ${minAgeMs} * interval '1 millisecond'`)
        .$if(this.followedUpByWriter.size > 0, (q) =>
          q.where((eb) =>
            eb.or([
              eb('topic', 'not in', [...this.followedUpByWriter]),
              eb('created_at', '<=', sql<Date>`now() - ${SWEEP_MIN_AGE_MS} * interval '1 millisecond'`),
            ]),
          ),
        )
        .orderBy('id')
        .limit(RELAY_BATCH)
        .execute();
      if (rows.length === 0) return relayed;
      afterId = rows[rows.length - 1].id;
      for (const row of rows) {
        try {
          await this.handlers.get(row.topic as OutboxTopic)!(row.payload as OutboxTopics[OutboxTopic]);
          await this.database.db.deleteFrom('outbox').where('id', '=', row.id).execute();
          relayed++;
        } catch (error) {
          this.logger.warn(`outbox ${row.topic} ${row.key} (attempt ${row.attempts + 1}) failed: ${(error as Error).message}`);
          await this.database.db.updateTable('outbox').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', row.id).execute();
        }
      }
    }
  }

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'worker')) return;
    const sweep = () => void this.relay(SWEEP_MIN_AGE_MS).catch((error: Error) => this.logger.warn(`outbox sweep failed: ${error.message}`));
    // At start every row is left over from before: relay them all.
    void this.relay(0).catch((error: Error) => this.logger.warn(`outbox sweep failed: ${error.message}`));
    this.timer = setInterval(sweep, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Before the database closes: a relay under way finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.relaying?.catch(() => undefined);
  }
}
