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
import { MetricsRepository } from './metrics.repository';
import { RedisRepository } from './redis.repository';

export const communityRoom = (communityId: string) => `community:${communityId}`;
/** Sockets that asked for device states in batches (`auth: { batch: true }`) are in these too. */
const batchRoom = (communityId: string) => `community:${communityId}:batch`;
const BATCHED = 'batched';

export interface SocketSession {
  userId: string;
  communityIds: string[];
  /** The authenticated user, opaque to this class. */
  user: unknown;
}

type Authenticate = (token: string | undefined) => Promise<SocketSession>;
type Subscribe = (session: SocketSession, body: unknown) => Promise<string>;

/**
 * The socket.io gateway, wrapped as the one class that touches socket.io. The token is checked
 * at the handshake; each connection joins the rooms of the communities its user may see.
 * Broadcasts go through Redis (socket.io's Redis adapter), so a browser connected to any
 * platform process sees updates ingested by every other (a process without the api role has a
 * server with no clients of its own, and its broadcasts reach the others through Redis).
 */
@WebSocketGateway({ cors: { origin: true }, transports: ['websocket', 'polling'] })
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
    return this.redis.key('socket.io');
  }

  setHandlers(handlers: { authenticate: Authenticate; subscribe: Subscribe }): void {
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
    await socket.join(session.communityIds.flatMap((id) => this.roomsFor(socket, id)));
    if (socket.data.batch) await socket.join(BATCHED);
    this.metrics.socketClients.inc();
  }

  private roomsFor(socket: Socket, communityId: string): string[] {
    return socket.data.batch ? [communityRoom(communityId), batchRoom(communityId)] : [communityRoom(communityId)];
  }

  handleDisconnect(socket: Socket): void {
    if (socket.data.session) this.metrics.socketClients.dec();
  }

  @SubscribeMessage('subscribe')
  async onSubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<{ ok: boolean; error?: string }> {
    const session = socket.data.session as SocketSession;
    try {
      const communityId = await this.subscribe!(session, body);
      for (const room of socket.rooms) if (room.startsWith('community:')) await socket.leave(room);
      await socket.join(this.roomsFor(socket, communityId));
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  emitToCommunity<E extends keyof ServerToClientEvents>(communityId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    // After shutdown began the adapter's Redis connections are gone: late timers emit nothing.
    if (this.closed) return;
    this.server?.to(communityRoom(communityId)).emit(event, ...args);
  }

  /**
   * Device states of one community: one `device.state` per device to ordinary clients, one
   * `device.states` with all of them to clients that asked for batches, so a dashboard costs one
   * message per interval however many devices its community has.
   */
  emitDeviceStates(communityId: string, states: DeviceStateEvent[]): void {
    if (this.closed || !this.server || states.length === 0) return;
    const unbatched = this.server.to(communityRoom(communityId)).except(BATCHED);
    for (const state of states) unbatched.emit('device.state', state);
    this.server.to(batchRoom(communityId)).emit('device.states', { communityId, states, ts: Date.now() });
  }

  beforeApplicationShutdown(): void {
    this.closed = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.server?.disconnectSockets(true);
    for (const connection of this.redisConnections) connection.disconnect();
  }
}
