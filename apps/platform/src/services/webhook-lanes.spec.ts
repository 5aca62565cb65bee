import { deferDelayMs, WebhookLanes } from './webhook-lanes';

/** A delivery that stays open until release() is called. */
function held(): { delivery: () => Promise<void>; release: () => void } {
  let release = () => {};
  const done = new Promise<void>((r) => (release = r));
  return { delivery: () => done, release };
}

describe('WebhookLanes', () => {
  it('runs up to the concurrency at once, then defers up to the queue bound, then drops', async () => {
    const lanes = new WebhookLanes(2, 3);
    const calls = [held(), held()];
    const running = calls.map((c) => lanes.submit('slow', c.delivery));
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await lanes.submit('slow', async () => undefined));
    expect(outcomes).toEqual(['deferred', 'deferred', 'deferred', 'dropped', 'dropped']);
    expect(lanes.queued('slow')).toBe(3);
    // Another endpoint is not held back by this one.
    expect(await lanes.submit('normal', async () => undefined)).toBe('ran');
    calls.forEach((c) => c.release());
    expect(await Promise.all(running)).toEqual(['ran', 'ran']);
  });

  it('lets a returning delivery keep its place: it runs when a call is free, or waits again without being dropped', async () => {
    const lanes = new WebhookLanes(1, 1);
    const call = held();
    const running = lanes.submit('e', call.delivery);
    expect(await lanes.submit('e', async () => undefined)).toBe('deferred');
    // The queue is full, yet the delivery already in it comes back and waits again.
    expect(await lanes.submit('e', async () => undefined, true)).toBe('deferred');
    expect(lanes.queued('e')).toBe(1);
    call.release();
    await running;
    expect(await lanes.submit('e', async () => undefined, true)).toBe('ran');
    expect(lanes.queued('e')).toBe(0);
  });

  it('never counts below zero when deliveries deferred by a process before a restart come back', async () => {
    const lanes = new WebhookLanes(1, 5);
    expect(await lanes.submit('e', async () => undefined, true)).toBe('ran');
    expect(lanes.queued('e')).toBe(0);
  });

  it('frees a call when its delivery fails', async () => {
    const lanes = new WebhookLanes(1, 5);
    await expect(lanes.submit('e', async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await lanes.submit('e', async () => undefined)).toBe('ran');
  });
});

describe('deferDelayMs', () => {
  it('doubles from 250 ms up to 5 s, within ±25 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => deferDelayMs(n, 0.5))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(deferDelayMs(1, 0)).toBe(188);
    expect(deferDelayMs(1, 1)).toBe(313);
  });
});
