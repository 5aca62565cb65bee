import { Injectable, Logger } from '@nestjs/common';
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
import type { ServerToClientEvents } from '@app/contracts';
import { MetricsRepository } from './metrics.repository';

export const communityRoom = (communityId: string) => `community:${communityId}`;

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
 */
@WebSocketGateway({ cors: { origin: true }, transports: ['websocket', 'polling'] })
@Injectable()
export class WebsocketRepository implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(WebsocketRepository.name);
  @WebSocketServer() private server?: Server<Record<string, never>, ServerToClientEvents>;
  private authenticate?: Authenticate;
  private subscribe?: Subscribe;

  constructor(private readonly metrics: MetricsRepository) {}

  setHandlers(handlers: { authenticate: Authenticate; subscribe: Subscribe }): void {
    this.authenticate = handlers.authenticate;
    this.subscribe = handlers.subscribe;
  }

  afterInit(server: Server): void {
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
    await socket.join(session.communityIds.map(communityRoom));
    this.metrics.socketClients.inc();
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
      await socket.join(communityRoom(communityId));
      return { ok: true };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }

  emitToCommunity<E extends keyof ServerToClientEvents>(communityId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (!this.server) return;
    this.server.to(communityRoom(communityId)).emit(event, ...args);
  }

  get ready(): boolean {
    return this.server !== undefined;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.logger.log('closing socket.io');
    this.server.disconnectSockets(true);
  }
}
