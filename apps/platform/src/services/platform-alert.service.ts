import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { PlatformAlert } from '@app/contracts';
import { AuditRepository } from '../repositories/audit.repository';
import { EventBusRepository, type PlatformEvents } from '../repositories/event-bus.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';

/**
 * Tells administrators when the platform itself is in trouble (issue 9: disk full under the
 * ingestion write-ahead log, publishers held back) and when it recovers: an audit-log entry and a
 * `platform.alert` to every administrator's socket. Transitions only, never per retry.
 */
@Injectable()
export class PlatformAlertService implements OnModuleInit {
  private readonly logger = new Logger(PlatformAlertService.name);

  constructor(
    private readonly events: EventBusRepository,
    private readonly audit: AuditRepository,
    private readonly websocket: WebsocketRepository,
  ) {}

  onModuleInit(): void {
    this.events.on('ingest.wal.writable', (change) => void this.walChanged(change));
  }

  private async walChanged({ writable, error, ts }: PlatformEvents['ingest.wal.writable']): Promise<void> {
    const alert: PlatformAlert = { kind: writable ? 'ingest_wal_recovered' : 'ingest_wal_unwritable', ...(error ? { error } : {}), at: ts };
    this.websocket.emitToPlatform('platform.alert', alert);
    try {
      await this.audit.record({ actorId: null, action: `platform.${alert.kind}`, subjectType: 'platform', subjectId: 'ingest_wal', detail: { error, at: new Date(ts).toISOString() } });
    } catch (failure) {
      // PostgreSQL may be down too: the socket alert and the log still tell.
      this.logger.error(`audit of ${alert.kind} failed: ${(failure as Error).message}`);
    }
  }
}
