import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type Redis from 'ioredis';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  ConnectedSocket,
  MessageBody,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { DeviceStateEvent, ServerToClientEvents } from '@app/contracts';
import { Permission, socketEventPermission } from '../domain/permissions';
import { MetricsRepository } from './metrics.repository';
import { RedisRepository } from './redis.repository';

export const communityRoom = (communityId: string) => `community:${communityId}`;
/** Sockets that asked for device states in batches (`auth: { batch: true }`) are in these too. */
const batchRoom = (communityId: string) => `community:${communityId}:batch`;
/** Holders of a permission in a community: the events that need it go here, not to the whole community. */
const permissionRoom = (communityId: string, permission: Permission) => `community:${communityId}:p:${permission}`;
/** Every socket of a user: their own notices, and the way to close their sessions everywhere. */
const userRoom = (userId: string) => `user:${userId}`;
/** Holders of a permission whatever their communities: alerts about the platform itself. */
const platformRoom = (permission: Permission) => `platform:p:${permission}`;
/** The permissions of events about the platform rather than a community: only their holders join those rooms. */
const PLATFORM_EVENT_PERMISSIONS = new Set<Permission>([socketEventPermission['platform.alert'].permission]);
const BATCHED = 'batched';

export interface SocketSession {
  userId: string;
  communityIds: string[];
  /** The socket-event permissions of the user's role (domain/permissions.ts socketPermissions). */
  permissions: Permission[];
  /** When the access token of the handshake (or of the last 'auth.renew') expires, ms since the epoch. */
  expiresAt: number;
  /** The authenticated user, opaque to this class. */
  user: unknown;
}

type Authenticate = (token: string | undefined) => Promise<SocketSession>;
type Subscribe = (session: SocketSession, body: unknown) => Promise<string>;
export interface SocketHandlers {
  authenticate: Authenticate;
  subscribe: Subscribe;
}
/**
 * A client with more than this many bytes waiting unsent (it stopped reading, or its link is
 * slow) gets no live updates until it catches up: they are dropped and counted, so its buffer
 * stays bounded and nobody else waits for it. Live states are superseded by the next ones anyway.
 */
export const SOCKET_SLOW_BYTES = 1024 * 1024;

/** Bytes waiting unsent to a client: packets in engine.io's write buffer and, on WebSocket, the ws socket's buffer. */
function unsentBytes(socket: { conn: unknown }): number {
  const conn = socket.conn as { writeBuffer?: Array<{ data?: { length: number } }>; transport?: { socket?: { bufferedAmount?: number } } };
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) bytes += packet.data?.length ?? 0;
  return bytes;
}

/** setTimeout's limit; a later expiry is checked again when the first timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The socket.io gateway, wrapped as the one class that touches socket.io. The token is checked
 * at the handshake; each connection joins the rooms of the communities its user may see, and
 * within each the rooms of the permissions its role holds, so an event reaches only the roles
 * the permission table lets see it. A connection is closed when its access token expires
 * (unless the page sent a fresh one with 'auth.renew') and when its user is disabled or changed.
 * Broadcasts go through Redis (socket.io's Redis adapter), so a browser connected to any
 * platform process sees updates ingested by every other (a process without the api role has a
 * server with no clients of its own, and its broadcasts reach the others through Redis).
 */
// Browsers send only small requests (subscriptions, a renewed token): a larger message closes the connection before it is buffered.
@WebSocketGateway({ cors: { origin: true }, transports: ['websocket', 'polling'], maxHttpBufferSize: 64 * 1024 })
@Injectable()
export class WebsocketRepository implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(WebsocketRepository.name);
  @WebSocketServer() private server?: Server<Record<string, never>, ServerToClientEvents>;
  private authenticate?: Authenticate;
  private subscribe?: Subscribe;
  private readonly redisConnections: Redis[] = [];
  private closed = false;

  constructor(
    private readonly metrics: MetricsRepository,
    private readonly redis: RedisRepository,
  ) {}

  private get channelKey(): string {
    return this.redis.keys.socketIo();
  }

  setHandlers(handlers: SocketHandlers): void {
    this.authenticate = handlers.authenticate;
    this.subscribe = handlers.subscribe;
  }

  afterInit(server: Server): void {
    const pub = this.redis.duplicate();
    const sub = this.redis.duplicate();
    this.redisConnections.push(pub, sub);
    server.adapter(createAdapter(pub, sub, { key: this.channelKey }));
    server.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: string } | undefined)?.token;
      if (!this.authenticate) return next(new Error('not ready'));
      this.authenticate(token)
        .then((session) => {
          socket.data.session = session;
          next();
        })
        .catch((error: Error) => next(new Error(error.message || 'unauthorized')));
    });
  }

  async handleConnection(socket: Socket): Promise<void> {
    const session = socket.data.session as SocketSession | undefined;
    if (!session) return void socket.disconnect(true);
    socket.data.batch = (socket.handshake.auth as { batch?: unknown } | undefined)?.batch === true;
    await socket.join([
      userRoom(session.userId),
      ...session.permissions.filter((p) => PLATFORM_EVENT_PERMISSIONS.has(p)).map(platformRoom),
      ...session.communityIds.flatMap((id) => this.roomsFor(socket, session, id)),
    ]);
    if (socket.data.batch) await socket.join(BATCHED);
    this.expireAt(socket, session.expiresAt);
    this.metrics.socketClients.inc();
  }

  private roomsFor(socket: Socket, session: SocketSession, communityId: string): string[] {
    const rooms = [communityRoom(communityId), ...session.permissions.map((p) => permissionRoom(communityId, p))];
    return socket.data.batch ? [...rooms, batchRoom(communityId)] : rooms;
  }

  /** Closes the connection when its token runs out. */
  private expireAt(socket: Socket, expiresAt: number): void {
    clearTimeout(socket.data.expiryTimer as NodeJS.Timeout | undefined);
    const timer = setTimeout(() => {
      const session = socket.data.session as SocketSession;
      if (Date.now() < session.expiresAt) return this.expireAt(socket, session.expiresAt);
      this.metrics.sessionsEnded.inc({ reason: 'expired' });
      socket.disconnect(true);
    }, Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())));
    timer.unref();
    socket.data.expiryTimer = timer;
  }

  handleDisconnect(socket: Socket): void {
    clearTimeout(socket.data.expiryTimer as NodeJS.Timeout | undefined);
    if (socket.data.session) this.metrics.socketClients.dec();
  }

  /** A page that refreshed its access token hands the new one over, so the connection lives on. */
  @SubscribeMessage('auth.renew')
  async onRenew(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<{ ok: boolean; error?: string }> {
    const session = socket.data.session as SocketSession;
    try {
      const renewed = await this.authenticate!((body as { token?: string } | undefined)?.token);
      if (renewed.userId !== session.userId) throw new Error('the token is of another user');
      session.expiresAt = renewed.expiresAt;
      this.expireAt(socket, renewed.expiresAt);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  /** Closes every connection of a user, in every platform process (through the Redis adapter). */
  disconnectUser(userId: string, reason: 'disabled' | 'changed'): void {
    if (this.closed || !this.server) return;
    this.metrics.sessionsEnded.inc({ reason });
    this.server.in(userRoom(userId)).disconnectSockets(true);
  }

  @SubscribeMessage('subscribe')
  async onSubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<{ ok: boolean; error?: string }> {
    const session = socket.data.session as SocketSession;
    try {
      const communityId = await this.subscribe!(session, body);
      for (const room of socket.rooms) if (room.startsWith('community:')) await socket.leave(room);
      await socket.join(this.roomsFor(socket, session, communityId));
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  /**
   * An event of a community, to the holders of its permission there (and to the users the
   * payload names, for events about one person's booking or bill, or one unit's owners).
   */
  emitToCommunity<E extends keyof ServerToClientEvents>(communityId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    // After shutdown began the adapter's Redis connections are gone: late timers emit nothing.
    if (this.closed || !this.server) return;
    const { permission, userFields = [] } = socketEventPermission[event];
    const rooms = [permission === Permission.DeviceRead ? communityRoom(communityId) : permissionRoom(communityId, permission)];
    for (const field of userFields) {
      const value = (args[0] as Record<string, unknown>)[field];
      for (const userId of Array.isArray(value) ? value : [value]) if (typeof userId === 'string') rooms.push(userRoom(userId));
    }
    this.server.to(rooms).emit(event, ...args);
  }

  /** An event about the platform itself, to the holders of its permission in any community. */
  emitToPlatform<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (this.closed || !this.server) return;
    this.server.to(platformRoom(socketEventPermission[event].permission)).emit(event, ...args);
  }

  /**
   * Device states of one community: one `device.state` per device to ordinary clients, one
   * `device.states` with all of them to clients that asked for batches, so a dashboard costs one
   * message per interval however many devices its community has.
   */
  emitDeviceStates(communityId: string, states: DeviceStateEvent[]): void {
    if (this.closed || !this.server || states.length === 0) return;
    const slow = this.slowSockets(this.server, communityRoom(communityId));
    const unbatched = this.server.to(communityRoom(communityId)).except([BATCHED, ...slow.map((s) => s.id)]);
    for (const state of states) unbatched.emit('device.state', state);
    this.server
      .to(batchRoom(communityId))
      .except(slow.map((s) => s.id))
      .emit('device.states', { communityId, states, ts: Date.now() });
    for (const socket of slow) this.metrics.socketDropped.inc({ reason: 'slow_consumer' }, socket.rooms.has(BATCHED) ? 1 : states.length);
  }

  /** This process's sockets in a room that have more than SOCKET_SLOW_BYTES waiting unsent. */
  private slowSockets(server: Server<Record<string, never>, ServerToClientEvents>, room: string): Array<{ id: string; rooms: Set<string> }> {
    const ids = server.sockets.adapter.rooms.get(room);
    if (!ids) return [];
    const slow: Array<{ id: string; rooms: Set<string> }> = [];
    for (const id of ids) {
      const socket = server.sockets.sockets.get(id);
      if (socket && unsentBytes(socket) > SOCKET_SLOW_BYTES) slow.push(socket);
    }
    return slow;
  }

  beforeApplicationShutdown(): void {
    this.closed = true;
  }

  async onApplicationShutdown(): Promise<void> {
    // This process's sockets only: through the adapter it would close every process's sockets, and
    // its publish would still be in flight when the connections below close (an unhandled rejection).
    this.server?.local.disconnectSockets(true);
    for (const connection of this.redisConnections) connection.disconnect();
  }
}
