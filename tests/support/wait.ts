/**
 * Waits with time-outs. Prefer nextEvent() (event-based); waitFor() polls a condition that has
 * no event, with a bounded number of attempts. Never a bare sleep.
 */

export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Time between two checks (default 50 ms). */
  intervalMs?: number;
  /** Said in the error when the time is up. */
  message?: string;
}

/**
 * Resolves with the first truthy value `predicate` returns (sync or async). A predicate that
 * throws counts as "not yet"; the last error is included when the time runs out.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, message }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
      lastValue = v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
  const detail = lastError
    ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
    : `; last value: ${safeString(lastValue)}`;
  throw new Error(`${message ?? 'condition not met'} (waited ${timeoutMs} ms${detail})`);
}

/** Anything with once/off (Node EventEmitter, socket.io client, mqtt client…). */
export interface EventSource {
  once(event: string, listener: (...args: any[]) => void): unknown;
  off?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

export interface NextEventOptions<A extends unknown[]> {
  timeoutMs?: number;
  /** Only resolve for an event whose arguments match; others are skipped. */
  filter?: (...args: A) => boolean;
  message?: string;
}

/**
 * Resolves with the first argument of the next `name` event (or with all arguments when the
 * event has several: use `nextEventArgs`). Rejects after `timeoutMs` (default 10 000 ms).
 */
export async function nextEvent<T = unknown>(
  emitter: EventSource,
  name: string,
  timeoutOrOptions: number | NextEventOptions<[T, ...unknown[]]> = 10_000,
): Promise<T> {
  const [first] = await nextEventArgs<[T, ...unknown[]]>(emitter, name, timeoutOrOptions);
  return first;
}

export function nextEventArgs<A extends unknown[]>(
  emitter: EventSource,
  name: string,
  timeoutOrOptions: number | NextEventOptions<A> = 10_000,
): Promise<A> {
  const opts: NextEventOptions<A> = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise<A>((resolve, reject) => {
    const remove = () => {
      if (emitter.off) emitter.off(name, listener);
      else emitter.removeListener?.(name, listener);
    };
    const listener = (...args: unknown[]) => {
      if (opts.filter && !opts.filter(...(args as A))) {
        emitter.once(name, listener); // not this one: keep listening
        return;
      }
      clearTimeout(timer);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      remove();
      reject(new Error(opts.message ?? `no "${name}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(name, listener);
  });
}

/** Collects every `name` event until `count` arrived (resolves) or the time is up (rejects). */
export function collectEvents<T = unknown>(
  emitter: EventSource & { on(event: string, listener: (...args: any[]) => void): unknown },
  name: string,
  count: number,
  timeoutMs = 10_000,
): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const got: T[] = [];
    const remove = () => {
      if (emitter.off) emitter.off(name, listener);
      else emitter.removeListener?.(name, listener);
    };
    const listener = (arg: T) => {
      got.push(arg);
      if (got.length >= count) {
        clearTimeout(timer);
        remove();
        resolve(got);
      }
    };
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`got ${got.length} of ${count} "${name}" events within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(name, listener);
  });
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}
