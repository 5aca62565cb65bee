/**
 * A min-heap of wake-up times shared by every connection of a fleet process: one timer for the
 * process instead of one (or three) per connection. An entry is superseded by the owner's later
 * call to `at` (the heap keeps the stale entry; `due` skips it by its generation number).
 */
export interface Wakeable {
  wakeGeneration: number;
  wake(now: number): void;
}

interface Entry {
  at: number;
  owner: Wakeable;
  generation: number;
}

export class WakeSchedule {
  private readonly heap: Entry[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** Wakes `owner` at `at` (ms, performance.now() scale), replacing its earlier wake-up. */
  at(owner: Wakeable, at: number): void {
    const entry = { at, owner, generation: ++owner.wakeGeneration };
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= at) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  /** Cancels `owner`'s pending wake-up. */
  cancel(owner: Wakeable): void {
    owner.wakeGeneration++;
  }

  /** Wakes every owner whose time has come (each at most once per call). */
  runDue(now: number, limit = Infinity): number {
    let woken = 0;
    while (this.heap.length > 0 && this.heap[0].at <= now && woken < limit) {
      const entry = this.pop();
      if (entry.generation !== entry.owner.wakeGeneration) continue;
      woken++;
      entry.owner.wake(now);
    }
    return woken;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && heap[right].at < heap[left].at ? right : left;
        if (heap[child].at >= last.at) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
