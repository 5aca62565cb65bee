import { Injectable } from '@nestjs/common';

/** The time source; tests replace it to move time. */
@Injectable()
export class ClockRepository {
  /** Wall-clock time (ms since the epoch): for timestamps and deadlines. It steps when NTP corrects it. */
  now(): number {
    return Date.now();
  }

  /** A clock that never steps (ms, arbitrary origin): for measuring how long something took, never negative. */
  monotonic(): number {
    return performance.now();
  }
}
