/** What became of a delivery handed to a lane. */
export type LaneOutcome = 'ran' | 'deferred' | 'dropped';

interface Lane {
  running: number;
  /** Deliveries of this endpoint this process put back to wait in Redis for a free call. */
  deferred: number;
}

/**
 * One lane per webhook endpoint, so an endpoint that never answers holds only its own share:
 * at most `concurrency` calls in flight, at most `queueBound` deliveries waiting for a call, the
 * rest dropped (the caller counts them). A delivery with a free call runs at once and submit()
 * waits for it (the job that asked stays open until then). With every call taken, submit() says
 * 'deferred' and the caller puts its job back in Redis for a little later: nothing waits in
 * memory, where a crash would lose it, and no worker waits on a slow endpoint.
 */
export class WebhookLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly concurrency: number,
    private readonly queueBound: number,
  ) {}

  /** `returning`: this delivery was deferred before, so it already holds a place in the queue. */
  async submit(endpoint: string, delivery: () => Promise<void>, returning = false): Promise<LaneOutcome> {
    let lane = this.lanes.get(endpoint);
    if (!lane) {
      lane = { running: 0, deferred: 0 };
      this.lanes.set(endpoint, lane);
    }
    // After a restart a returning delivery was counted by the process before: never below 0.
    if (returning) lane.deferred = Math.max(0, lane.deferred - 1);
    if (lane.running < this.concurrency) {
      lane.running++;
      try {
        await delivery();
      } finally {
        lane.running--;
        if (lane.running === 0 && lane.deferred === 0) this.lanes.delete(endpoint);
      }
      return 'ran';
    }
    if (!returning && lane.deferred >= this.queueBound) return 'dropped';
    lane.deferred++;
    return 'deferred';
  }

  /** Deliveries of an endpoint waiting for a call. */
  queued(endpoint: string): number {
    return this.lanes.get(endpoint)?.deferred ?? 0;
  }
}

/** How long a deferred delivery waits before it asks its lane again: doubling from 250 ms up to 5 s, with jitter. */
export function deferDelayMs(deferrals: number, random: number): number {
  const base = Math.min(5000, 250 * 2 ** Math.min(deferrals - 1, 5));
  return Math.round(base * (0.75 + random / 2));
}
