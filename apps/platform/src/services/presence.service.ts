import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { ClockRepository } from '../repositories/clock.repository';
import { ClusterConnectionsRepository } from '../repositories/cluster-connections.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { DeviceDirectoryService } from './device-directory.service';
import { SingletonDutyService } from './singleton-duty.service';

/** Reports within this window are settled together: the last one wins, so a will and a reconnect do not flap. */
export const PRESENCE_SETTLE_MS = 1000;
const SWEEP_INTERVAL_MS = 5000;

export type PresenceSource = 'status' | 'connect' | 'disconnect' | 'message' | 'heartbeat';

/**
 * Online/offline from the status topic, the last will, broker connections and a heartbeat
 * time-out. Reports are settled per device for PRESENCE_SETTLE_MS before anything is written
 * or pushed, and an "offline" for a device that has a live connection is ignored.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PresenceService.name);
  private readonly known = new Map<string, boolean>();
  private readonly pending = new Map<string, { online: boolean; ts: number; timer: NodeJS.Timeout }>();
  private sweepsFrom = 0;
  private isConnected: (deviceId: string) => boolean | undefined = () => undefined;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly redis: RedisRepository,
    private readonly websocket: WebsocketRepository,
    private readonly directory: DeviceDirectoryService,
    private readonly clock: ClockRepository,
    private readonly events: EventBusRepository,
    private readonly duties: SingletonDutyService,
    private readonly clusterConnections: ClusterConnectionsRepository,
  ) {}

  /** The embedded broker tells whether a device holds a connection right now (set at start-up, wiring.ts). */
  setConnectionProbe(probe: (deviceId: string) => boolean | undefined): void {
    this.isConnected = probe;
  }

  onModuleInit(): void {
    // After a (re)start every device needs a full heartbeat period to reconnect before it counts as
    // silent: the last-seen times in Redis predate the restart, and a restart storm must not raise
    // thousands of offline alarms for devices that are merely queued to reconnect.
    this.sweepsFrom = this.clock.now() + this.config.mqtt.heartbeatTimeoutMs;
    // One process of the cluster sweeps the shared last-seen set.
    if (hasRole(this.config, 'ingest')) this.duties.register({ name: 'presence-sweep', everyMs: SWEEP_INTERVAL_MS, run: () => this.sweep() });
  }

  onApplicationShutdown(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
  }

  report(deviceId: string, online: boolean, source: PresenceSource): void {
    // A data message only says "online" when we believe the device is offline or do not know.
    if (source === 'message' && this.known.get(deviceId) === true && !this.pending.has(deviceId)) return;
    const ts = this.clock.now();
    const previous = this.pending.get(deviceId);
    if (previous) {
      previous.online = online;
      previous.ts = ts;
      return;
    }
    const timer = setTimeout(() => void this.settle(deviceId), PRESENCE_SETTLE_MS);
    timer.unref();
    this.pending.set(deviceId, { online, ts, timer });
  }

  private async settle(deviceId: string): Promise<void> {
    const report = this.pending.get(deviceId);
    this.pending.delete(deviceId);
    if (!report) return;
    let online = report.online;
    if (!online && this.isConnected(deviceId) === true) online = true;
    if (this.known.get(deviceId) === online) return;
    const device = await this.directory.get(deviceId);
    if (!device) return;
    this.known.set(deviceId, online);
    try {
      await this.redis.setOnline(deviceId, online, report.ts);
    } catch (error) {
      this.logger.warn(`presence of ${deviceId} not written to Redis: ${(error as Error).message}`);
    }
    this.events.emit('device.presence', { device, online, ts: report.ts });
    this.websocket.emitToCommunity(device.communityId, 'device.status', {
      deviceId,
      communityId: device.communityId,
      online,
      ts: report.ts,
    });
  }

  /** Marks devices offline that have sent nothing for HEARTBEAT_TIMEOUT_S. */
  private async sweep(): Promise<void> {
    if (this.clock.now() < this.sweepsFrom) return;
    try {
      const silent = await this.redis.devicesSilentSince(this.clock.now() - this.config.mqtt.heartbeatTimeoutMs);
      const notHere = silent.filter((id) => this.isConnected(id) !== true);
      // In an embedded-broker cluster a silent device may hold its connection on another process.
      const elsewhere = this.config.mqtt.cluster === 'redis' ? await this.clusterConnections.connectedAnywhere(notHere) : new Set<string>();
      const offline = notHere.filter((id) => !elsewhere.has(id));
      for (const id of offline) this.report(id, false, 'heartbeat');
      await this.redis.forgetLastSeen(offline);
    } catch (error) {
      this.logger.warn(`heartbeat sweep failed: ${(error as Error).message}`);
    }
  }
}
