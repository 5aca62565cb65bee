import { Injectable } from '@nestjs/common';

/** The time source; tests replace it to move time. */
@Injectable()
export class ClockRepository {
  now(): number {
    return Date.now();
  }
}
