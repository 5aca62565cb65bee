import { Injectable } from '@nestjs/common';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { ServerToClientEvents, SupervisionCommunityEvent } from '@app/contracts';
import { Permission } from '../domain/permissions';
import type { SocketSession } from './websocket.repository';

export const supervisionRoom = (communityId: string) => `supervision:${communityId}`;

/**
 * Supervision rooms on the platform's one socket.io server (same port and namespace as
 * WebsocketRepository, so Nest shares the server and its Redis adapter). A client that sends
 * 'supervision.subscribe' leaves the per-community rooms (no device.state stream for a street
 * or district of communities) and joins one supervision room per community its user may see,
 * as computed at the handshake; only 'supervision.community' events go there. Only roles holding
 * SupervisionRead may subscribe (they see alarm counts).
 */
@WebSocketGateway({ cors: { origin: true }, transports: ['websocket', 'polling'] })
@Injectable()
export class SupervisionSocketRepository {
  @WebSocketServer() private server?: Server<Record<string, never>, ServerToClientEvents>;

  @SubscribeMessage('supervision.subscribe')
  async onSubscribe(@ConnectedSocket() socket: Socket): Promise<{ ok: boolean; communities: number }> {
    const session = socket.data.session as SocketSession | undefined;
    if (!session?.permissions.includes(Permission.SupervisionRead)) return { ok: false, communities: 0 };
    for (const room of socket.rooms) if (room.startsWith('community:')) await socket.leave(room);
    await socket.join(session.communityIds.map(supervisionRoom));
    return { ok: true, communities: session.communityIds.length };
  }

  emitCommunity(event: SupervisionCommunityEvent): void {
    this.server?.to(supervisionRoom(event.communityId)).emit('supervision.community', event);
  }
}
