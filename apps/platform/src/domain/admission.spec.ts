import { AdmissionLimit } from './admission';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('AdmissionLimit', () => {
  it('runs at most `concurrency` at once, queues up to the limit and refuses beyond it', async () => {
    const limit = new AdmissionLimit(2, 1);
    const gates = [deferred(), deferred(), deferred()];
    let started = 0;
    const job = (i: number) => () => {
      started++;
      return gates[i].promise.then(() => i);
    };
    const a = limit.run(job(0));
    const b = limit.run(job(1));
    const c = limit.run(job(2));
    expect(await limit.run(job(0))).toBeUndefined();
    await Promise.resolve();
    expect(started).toBe(2);
    expect(limit.queued).toBe(1);
    gates[0].resolve();
    expect(await a).toEqual({ value: 0 });
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(3);
    gates[1].resolve();
    gates[2].resolve();
    expect(await b).toEqual({ value: 1 });
    expect(await c).toEqual({ value: 2 });
    expect(limit.running).toBe(0);
  });

  it('frees the slot when the work fails', async () => {
    const limit = new AdmissionLimit(1, 0);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(async () => 1)).toEqual({ value: 1 });
  });
});
