import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { Injectable, Logger } from '@nestjs/common';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import Aedes, { type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { MQEmitterRedisPrefix } from 'mqemitter-redis';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { deviceMayAccess } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { listen } from '../config/listen';
import { TokenBuckets } from '../domain/token-bucket';
import { LeaseRepository } from './lease.repository';
import { MetricsRepository } from './metrics.repository';
import { RedisRepository } from './redis.repository';

export interface BrokerHooks {
  /** Checks a device's credentials. */
  authenticate(deviceId: string, secret: string): Promise<{ ok: true } | { ok: false; reason: string; notAuthorized: boolean }>;
  /** A device message that passed the permissions; a returned promise holds the publisher back until it settles. */
  message(topic: string, payload: Buffer): Promise<void> | undefined;
  /** A message refused by the permissions or the rate limit. */
  refused(reason: 'acl_denied' | 'rate_limited', deviceId: string, topic: string, payload: Buffer, detail: string): void;
  connectionChanged(deviceId: string, connected: boolean): void;
}

/**
 * The embedded MQTT broker (aedes) over TCP and WebSocket, with per-device credentials, the
 * contract's topic permissions and a per-device publish rate limit. Messages reach ingestion
 * through aedes' `published` hook, in process: there is no internal subscriber whose queue could
 * overflow, and a slow ingestion path slows publishers down instead of dropping messages.
 */
@Injectable()
export class EmbeddedBrokerRepository {
  private readonly logger = new Logger(EmbeddedBrokerRepository.name);
  private aedes?: Aedes;
  private tcpServer?: NetServer;
  private wsHttpServer?: HttpServer;
  private wsServer?: WebSocketServer;
  private readonly rateLimits: TokenBuckets;
  private clusterPersistence?: { destroy(cb: () => void): void };
  ports: { mqtt?: number; ws?: number } = {};

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly metrics: MetricsRepository,
    private readonly redis: RedisRepository,
    private readonly leases: LeaseRepository,
  ) {
    const rate = config.mqtt.deviceRateLimit;
    this.rateLimits = new TokenBuckets(rate, rate * 2);
  }

  async start(hooks: BrokerHooks): Promise<void> {
    const aedes = new Aedes({
      ...this.clusterOptions(),
      maxClientsIdLength: 64,
      heartbeatInterval: 60_000,
      connectTimeout: 30_000,
      authenticate: (client, username, password, done) => {
        const deviceId = client.id;
        const fail = (reason: string, returnCode: 4 | 5) => {
          this.metrics.mqttAuthFailures.inc({ reason });
          const error = new Error(reason) as AuthenticateError;
          error.returnCode = returnCode;
          done(error, false);
        };
        if (!username || username !== deviceId) return fail('username_must_equal_client_id', 4);
        if (!password) return fail('missing_password', 4);
        hooks
          .authenticate(deviceId, password.toString('utf8'))
          .then((result) => (result.ok ? done(null, true) : fail(result.reason, result.notAuthorized ? 5 : 4)))
          .catch((error: Error) => {
            this.logger.error(`authentication of ${deviceId} failed: ${error.message}`);
            const err = new Error('server unavailable') as AuthenticateError;
            err.returnCode = 3;
            done(err, false);
          });
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null);
        if (!deviceMayAccess(client.id, 'publish', packet.topic)) {
          this.metrics.mqttAclDenied.inc({ action: 'publish' });
          hooks.refused('acl_denied', client.id, packet.topic, packet.payload as Buffer, `${client.id} may not publish to ${packet.topic}`);
          return done(new Error(`publish to ${packet.topic} not allowed`));
        }
        if (!this.rateLimits.take(client.id, Date.now())) {
          this.metrics.mqttAclDenied.inc({ action: 'rate_limit' });
          hooks.refused('rate_limited', client.id, packet.topic, packet.payload as Buffer, `over ${this.config.mqtt.deviceRateLimit} messages/s`);
          return done(new Error('publish rate limit exceeded'));
        }
        done(null);
      },
      authorizeSubscribe: (client, subscription: Subscription, done) => {
        if (deviceMayAccess(client.id, 'subscribe', subscription.topic)) return done(null, subscription);
        this.metrics.mqttAclDenied.inc({ action: 'subscribe' });
        this.logger.warn(`${client.id} may not subscribe to ${subscription.topic}`);
        // A null subscription answers SUBACK 0x80 (refused) without dropping the connection.
        done(null, null);
      },
      published: (packet, client, done) => {
        if (!client) return done();
        const wait = hooks.message(packet.topic, packet.payload as Buffer);
        if (!wait) return done();
        wait.then(() => done(), (error: Error) => done(error));
      },
    });
    aedes.on('clientReady', (client: Client) => {
      this.metrics.mqttClients.set(aedes.connectedClients);
      hooks.connectionChanged(client.id, true);
    });
    aedes.on('clientDisconnect', (client: Client) => {
      this.metrics.mqttClients.set(aedes.connectedClients);
      this.rateLimits.forget(client.id);
      if (client.id) hooks.connectionChanged(client.id, false);
    });
    aedes.on('clientError', (client: Client, error: Error) => this.logger.debug(`client ${client?.id}: ${error.message}`));
    this.aedes = aedes;

    this.tcpServer = createNetServer((socket) => {
      // Without this, Nagle's algorithm and the peer's delayed ACK hold small packets (a PUBACK, a
      // gate command) back for tens of milliseconds on each hop.
      socket.setNoDelay(true);
      aedes.handle(socket);
    });
    this.ports.mqtt = await listen(this.tcpServer, this.config.mqtt.port, this.config.http.host, 'MQTT_PORT');
    this.logger.log(`embedded MQTT broker listening on port ${this.ports.mqtt}`);
    // The contract's table makes MQTT_WS_PORT=0 mean "off" (not "any free port" as for the others).
    if (this.config.mqtt.wsPort !== 0) {
      this.wsHttpServer = createHttpServer();
      this.wsServer = new WebSocketServer({ server: this.wsHttpServer });
      this.wsServer.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket), request));
      this.ports.ws = await listen(this.wsHttpServer, this.config.mqtt.wsPort, this.config.http.host, 'MQTT_WS_PORT');
      this.logger.log(`embedded MQTT broker (WebSocket) listening on port ${this.ports.ws}`);
    }
  }

  /**
   * MQTT_CLUSTER=redis: subscriptions, retained messages and wills shared through Redis (under
   * REDIS_PREFIX), so a message published by any process reaches the device on any other. Each
   * broker needs its own id: a broker that stops announcing itself has its devices' wills sent.
   */
  private clusterOptions(): { id: string; mq?: unknown; persistence?: unknown } {
    if (this.config.mqtt.cluster !== 'redis') return { id: 'spp-embedded' };
    const persistence = aedesPersistenceRedis({ conn: this.redisConnection({ keyPrefix: `${this.redis.key('mqtt')}:` }) });
    this.clusterPersistence = persistence;
    return {
      id: `spp-${this.leases.holderId}`,
      mq: new MQEmitterRedisPrefix(`${this.redis.key('mqtt')}/`, { pubConn: this.redisConnection(), subConn: this.redisConnection() }),
      persistence,
    };
  }

  private redisConnection(options: { keyPrefix?: string } = {}) {
    const connection = this.redis.client.duplicate(options);
    connection.on('error', () => undefined); // surfaces through failing publishes and /health
    return connection;
  }

  isConnected(deviceId: string): boolean {
    const clients = (this.aedes as unknown as { clients?: Record<string, Client> } | undefined)?.clients;
    return Boolean(clients?.[deviceId]);
  }

  /** Drops a device's connection, e.g. after its secret was rotated or it was disabled. */
  disconnect(deviceId: string): void {
    const clients = (this.aedes as unknown as { clients?: Record<string, Client> } | undefined)?.clients;
    clients?.[deviceId]?.close();
  }

  publish(topic: string, payload: string, options: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('embedded broker not started'));
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: options.qos, retain: options.retain ?? false, dup: false } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  async stop(): Promise<void> {
    const closeServer = (server?: NetServer | HttpServer) =>
      new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const client of this.wsServer?.clients ?? []) client.terminate();
    this.wsServer?.close();
    if (this.aedes) await new Promise<void>((resolve) => this.aedes!.close(() => resolve()));
    if (this.clusterPersistence) await new Promise<void>((resolve) => this.clusterPersistence!.destroy(() => resolve()));
    await Promise.all([closeServer(this.tcpServer), closeServer(this.wsHttpServer)]);
  }
}
