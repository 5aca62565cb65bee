import type { AuditEntry, AuditRepository } from '../repositories/audit.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import type { WebsocketRepository } from '../repositories/websocket.repository';
import { PlatformAlertService } from './platform-alert.service';

// Issue 9, fault table: "disk full under the write-ahead log … an alarm to administrators".
describe('platform alerts when the ingestion log cannot be written', () => {
  const setUp = (auditFails = false) => {
    const bus = new EventBusRepository();
    const audited: AuditEntry[] = [];
    const audit = {
      record: jest.fn(async (entry: AuditEntry) => {
        if (auditFails) throw new Error('connection refused');
        audited.push(entry);
      }),
    } as unknown as AuditRepository;
    const websocket = { emitToPlatform: jest.fn() };
    new PlatformAlertService(bus, audit, websocket as unknown as WebsocketRepository).onModuleInit();
    return { bus, audited, websocket };
  };
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('tells administrators and the audit log when the log becomes unwritable and when it recovers', async () => {
    const { bus, audited, websocket } = setUp();
    bus.emit('ingest.wal.writable', { writable: false, error: 'ENOSPC: no space left on device', ts: 1000 });
    bus.emit('ingest.wal.writable', { writable: true, ts: 2000 });
    await flush();
    expect(websocket.emitToPlatform.mock.calls).toEqual([
      ['platform.alert', { kind: 'ingest_wal_unwritable', error: 'ENOSPC: no space left on device', at: 1000 }],
      ['platform.alert', { kind: 'ingest_wal_recovered', at: 2000 }],
    ]);
    expect(audited.map((e) => [e.action, e.actorId, e.subjectType, e.subjectId])).toEqual([
      ['platform.ingest_wal_unwritable', null, 'platform', 'ingest_wal'],
      ['platform.ingest_wal_recovered', null, 'platform', 'ingest_wal'],
    ]);
  });

  it('still alerts the sockets when the audit log cannot be written (PostgreSQL down too)', async () => {
    const { bus, websocket } = setUp(true);
    bus.emit('ingest.wal.writable', { writable: false, error: 'EIO: i/o error', ts: 1000 });
    await flush();
    expect(websocket.emitToPlatform).toHaveBeenCalledWith('platform.alert', { kind: 'ingest_wal_unwritable', error: 'EIO: i/o error', at: 1000 });
  });
});
