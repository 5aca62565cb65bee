import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { FaultPoint, PlatformConfig } from '../config/config';

/**
 * TEST ONLY: kills the process at a named point when FAULT_INJECT names it (refused in
 * production), so a test can prove what a crash there leaves behind is recovered after restart.
 */
@Injectable()
export class FaultRepository {
  constructor(@InjectConfig() private readonly config: PlatformConfig) {}

  at(point: FaultPoint): void {
    if (this.config.faultInject === point) process.kill(process.pid, 'SIGKILL');
  }
}
