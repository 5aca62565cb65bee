/** What became of a delivery handed to a lane. */
export type LaneOutcome = 'ran' | 'queued' | 'dropped';

interface Lane {
  running: number;
  waiting: Array<() => Promise<void>>;
}

/**
 * One lane per webhook endpoint, so an endpoint that never answers holds only its own share:
 * at most `concurrency` calls in flight and `queueBound` waiting, the rest dropped (the caller
 * counts them). A delivery with a free slot runs at once and submit() waits for it (the job that
 * asked stays open until then); with every slot taken it waits in the lane, in memory, and
 * submit() returns at once, so the shared job workers never wait on a slow endpoint.
 */
export class WebhookLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly concurrency: number,
    private readonly queueBound: number,
  ) {}

  async submit(endpoint: string, delivery: () => Promise<void>): Promise<LaneOutcome> {
    let lane = this.lanes.get(endpoint);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(endpoint, lane);
    }
    if (lane.running < this.concurrency) {
      await this.run(endpoint, lane, delivery);
      return 'ran';
    }
    if (lane.waiting.length >= this.queueBound) return 'dropped';
    lane.waiting.push(delivery);
    return 'queued';
  }

  /** Deliveries of an endpoint waiting for a slot. */
  queued(endpoint: string): number {
    return this.lanes.get(endpoint)?.waiting.length ?? 0;
  }

  private async run(endpoint: string, lane: Lane, delivery: () => Promise<void>): Promise<void> {
    lane.running++;
    try {
      await delivery();
    } finally {
      lane.running--;
      const next = lane.waiting.shift();
      // No one waits for a queued delivery: it handles its own failures (a retry job).
      if (next) void this.run(endpoint, lane, next).catch(() => undefined);
      else if (lane.running === 0) this.lanes.delete(endpoint);
    }
  }
}
