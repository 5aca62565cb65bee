import { BadRequestException, Injectable } from '@nestjs/common';
import { subscribeRequestSchema, type TelemetryQuery } from '@app/contracts';
import { stateFromFields } from '../domain/live-state';
import { roleHas, socketPermissions } from '../domain/permissions';
import { DeviceRepository } from '../repositories/device.repository';
import { InfluxRepository, durationMs } from '../repositories/influx.repository';
import { RedisRepository } from '../repositories/redis.repository';
import type { SocketHandlers } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import { AuthService } from './auth.service';
import type { AuthUser } from './auth-user';
import { DeviceService } from './device.service';

const DEFAULT_RANGE_MS = 3_600_000;
/** A history answer holds at most this many buckets: ask for a wider `every` over long ranges. */
const MAX_BUCKETS = 10_000;

/** Live state, telemetry history and dead letters for the REST API, and socket.io access rules. */
@Injectable()
export class TelemetryService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly deviceService: DeviceService,
    private readonly access: AccessService,
    private readonly auth: AuthService,
    private readonly redis: RedisRepository,
    private readonly influx: InfluxRepository,
  ) {}

  /** Who may open a socket.io connection and which community rooms they may join (set at start-up, wiring.ts). */
  socketHandlers(): SocketHandlers {
    return {
      authenticate: async (token) => {
        const { user, expiresAt } = await this.auth.verifyAccessToken(token);
        const permissions = socketPermissions.filter((p) => roleHas(user.role, p));
        return { userId: user.id, communityIds: await this.access.visibleCommunityIds(user), permissions, expiresAt, user };
      },
      subscribe: async (session, body) => {
        const parsed = subscribeRequestSchema.safeParse(body);
        if (!parsed.success) throw new Error('subscribe needs { communityId: uuid }');
        const user = session.user as AuthUser;
        await this.access.requireInScope(user, parsed.data.communityId);
        return parsed.data.communityId;
      },
    };
  }

  async communityLive(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const rows = await this.devices.findByCommunities([communityId]);
    const states = await this.redis.readLiveStates(rows.map((r) => r.id));
    return rows.map((d) => {
      const s = states.get(d.id);
      return {
        deviceId: d.id,
        communityId: d.community_id,
        kind: d.kind,
        subtype: d.subtype,
        name: d.name,
        location: d.location,
        disabled: d.disabled,
        online: s?.online ?? false,
        state: s && s.ts !== null ? stateFromFields(s.fields) : null,
        ts: s?.ts ?? null,
        lastSeen: s?.lastSeen ?? null,
      };
    });
  }

  async deviceLive(user: AuthUser, deviceId: string) {
    const device = await this.deviceService.requireDevice(user, deviceId);
    return (await this.communityLive(user, device.community_id)).find((d) => d.deviceId === deviceId)!;
  }

  async history(user: AuthUser, deviceId: string, query: TelemetryQuery) {
    const device = await this.deviceService.requireDevice(user, deviceId);
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from >= to) throw new BadRequestException('from must be before to');
    if (query.every && (to.getTime() - from.getTime()) / durationMs(query.every) > MAX_BUCKETS) {
      throw new BadRequestException(`every=${query.every} gives more than ${MAX_BUCKETS} points over this range: choose a wider window`);
    }
    const points = await this.influx.history({ measurement: device.kind, deviceId, from, to, every: query.every, limit: query.limit });
    return { deviceId, measurement: device.kind, from: from.toISOString(), to: to.toISOString(), every: query.every ?? null, points };
  }

  async deadLetters(user: AuthUser, limit: number) {
    const letters = await this.redis.readDeadLetters(limit);
    if (user.scope.level === 'platform') return letters;
    // Others see dead letters of their own communities' devices only.
    const visible = new Set((await this.devices.findByCommunities(await this.access.visibleCommunityIds(user))).map((d) => d.id));
    return letters.filter((l) => l.deviceId && visible.has(l.deviceId));
  }

  async rejectCounts() {
    return this.redis.rejectCounts();
  }
}
