import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import Aedes, { type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { MQEmitterRedisPrefix } from 'mqemitter-redis';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { deviceMayAccess } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { listen } from '../config/listen';
import { MqttFrameLimit } from '../domain/mqtt-frame-limit';
import { TokenBuckets } from '../domain/token-bucket';
import { LeaseRepository } from './lease.repository';
import { MetricsRepository } from './metrics.repository';
import { RedisRepository } from './redis.repository';

export interface BrokerHooks {
  /** Checks a device's credentials; `source` is the connection's remote address. */
  authenticate(deviceId: string, secret: string, source: string): Promise<{ ok: true } | { ok: false; reason: string }>;
  /**
   * A device message that passed the permissions. A returned promise holds its PUBACK (QoS 1) and
   * the publisher's connection back until it settles: it settles once the message is durable.
   */
  message(topic: string, payload: Buffer, qos: 0 | 1 | 2): Promise<void> | undefined;
  /** What a message costs against the device's rate limit (its readings). */
  cost(topic: string, payload: Buffer): number;
  /** A message refused by the permissions or the rate limit. */
  refused(reason: 'acl_denied' | 'rate_limited', deviceId: string, topic: string, payload: Buffer, detail: string): void;
  connectionChanged(deviceId: string, connected: boolean): void;
}

/** Why the broker closed or refused a connection before (or instead of) MQTT authentication. */
export type ConnectionRefusal = 'packet_too_large' | 'malformed_length' | 'per_address_cap' | 'connect_timeout';

/**
 * The embedded MQTT broker (aedes) over TCP and WebSocket, with per-device credentials, the
 * contract's topic permissions and a per-device publish rate limit. Before aedes sees a byte,
 * each connection passes a guard: at most MQTT_MAX_CONNECTIONS_PER_ADDRESS per source address,
 * and no packet declaring more than MQTT_MAX_PACKET_BYTES (the MQTT parser would buffer whatever
 * length a header declares). CONNECT must arrive within MQTT_CONNECT_TIMEOUT_S (aedes'
 * connectTimeout). Every refused CONNECT gets the same CONNACK code (4), whatever the reason, so
 * a disabled or unknown device cannot be told from a wrong secret.
 *
 * Messages reach ingestion at the end of aedes' `authorizePublish`: aedes writes a QoS 1 PUBACK
 * only after that callback (lib/handlers/publish.js: authorizePublish, then enqueuePublish writes
 * the PUBACK), and reads the client's socket again only once every packet of the last read is
 * handled, so waiting there for the write-ahead log both delays the PUBACK until the message is
 * durable and stops reading from a publisher that outruns storage.
 */
@Injectable()
export class EmbeddedBrokerRepository {
  private readonly logger = new Logger(EmbeddedBrokerRepository.name);
  private aedes?: Aedes;
  private tcpServer?: NetServer;
  private wsHttpServer?: HttpServer;
  private wsServer?: WebSocketServer;
  private readonly rateLimits: TokenBuckets;
  private readonly perAddress = new Map<string, number>();
  /** Connections admitted and not yet closed (TCP and WebSocket). */
  private open = 0;
  /** The source address of each stream handed to aedes (a client's `conn`). */
  private readonly sources = new WeakMap<object, string>();
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
      connectTimeout: this.config.mqtt.connectTimeoutMs,
      authenticate: (client, username, password, done) => {
        const deviceId = client.id;
        const fail = (reason: string) => {
          this.metrics.mqttAuthFailures.inc({ reason });
          // One code for every refusal: "bad user name or password".
          const error = new Error('bad user name or password') as AuthenticateError;
          error.returnCode = 4;
          done(error, false);
        };
        if (!username || username !== deviceId) return fail('username_must_equal_client_id');
        if (!password) return fail('missing_password');
        hooks
          .authenticate(deviceId, password.toString('utf8'), this.sources.get(client.conn) ?? 'unknown')
          .then((result) => (result.ok ? done(null, true) : fail(result.reason)))
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
        if (!this.rateLimits.take(client.id, Date.now(), hooks.cost(packet.topic, packet.payload as Buffer))) {
          this.metrics.mqttAclDenied.inc({ action: 'rate_limit' });
          hooks.refused('rate_limited', client.id, packet.topic, packet.payload as Buffer, `over ${this.config.mqtt.deviceRateLimit} readings/s`);
          return done(new Error('publish rate limit exceeded'));
        }
        if (packet.retain) {
          // No client may subscribe to a device's upstream topics (only to its own commands), so
          // a retained copy could never be delivered. Kept, it would cost every SUBSCRIBE a test
          // of each retained topic (aedes' persistence scans them all): with every device
          // retaining its status, a reconnect storm of N devices did N² tests (3,000 of 15,000
          // devices back in 2 minutes, the CPU in that scan).
          packet.retain = false;
          this.metrics.mqttRetainDropped.inc();
        }
        const durable = hooks.message(packet.topic, packet.payload as Buffer, packet.qos);
        if (!durable) return done(null);
        durable.then(() => done(null), (error: Error) => done(error));
      },
      authorizeSubscribe: (client, subscription: Subscription, done) => {
        if (deviceMayAccess(client.id, 'subscribe', subscription.topic)) return done(null, subscription);
        this.metrics.mqttAclDenied.inc({ action: 'subscribe' });
        this.logger.warn(`${client.id} may not subscribe to ${subscription.topic}`);
        // A null subscription answers SUBACK 0x80 (refused) without dropping the connection.
        done(null, null);
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
    // Errors of connections that have not completed CONNECT (no client id yet).
    aedes.on('connectionError', (_client: Client, error: Error) => {
      if (error.message === 'connect did not arrive in time') this.metrics.mqttConnectionsRefused.inc({ reason: 'connect_timeout' });
    });
    this.aedes = aedes;

    this.tcpServer = createNetServer((socket) => {
      // Without this, Nagle's algorithm and the peer's delayed ACK hold small packets (a PUBACK, a
      // gate command) back for tens of milliseconds on each hop.
      socket.setNoDelay(true);
      this.admit(socket, socket.remoteAddress ?? 'unknown', (guarded) => aedes.handle(guarded));
    });
    this.ports.mqtt = await listen(this.tcpServer, this.config.mqtt.port, this.config.http.host, 'MQTT_PORT');
    this.logger.log(`embedded MQTT broker listening on port ${this.ports.mqtt}`);
    // The contract's table makes MQTT_WS_PORT=0 mean "off" (not "any free port" as for the others).
    if (this.config.mqtt.wsPort !== 0) {
      this.wsHttpServer = createHttpServer();
      // A WebSocket frame larger than an MQTT packet may be is refused by ws before it is buffered.
      this.wsServer = new WebSocketServer({ server: this.wsHttpServer, maxPayload: this.config.mqtt.maxPacketBytes });
      this.wsServer.on('connection', (socket, request) =>
        this.admit(createWebSocketStream(socket), request.socket.remoteAddress ?? 'unknown', (guarded) => aedes.handle(guarded, request)),
      );
      this.ports.ws = await listen(this.wsHttpServer, this.config.mqtt.wsPort, this.config.http.host, 'MQTT_WS_PORT');
      this.logger.log(`embedded MQTT broker (WebSocket) listening on port ${this.ports.ws}`);
    }
  }

  /**
   * Hands a new connection to aedes through the guard, or closes it at once when the broker or
   * its address already holds the most connections allowed.
   */
  private admit(stream: Duplex, source: string, handle: (guarded: Duplex) => void): void {
    if (this.open >= this.config.mqtt.maxConnections) {
      this.metrics.mqttConnectionsRefused.inc({ reason: 'capacity' });
      stream.destroy();
      return;
    }
    const open = this.perAddress.get(source) ?? 0;
    if (open >= this.config.mqtt.maxConnectionsPerAddress) {
      this.metrics.mqttConnectionsRefused.inc({ reason: 'per_address_cap' });
      stream.destroy();
      return;
    }
    this.open++;
    this.perAddress.set(source, open + 1);
    stream.once('close', () => {
      this.open--;
      const left = (this.perAddress.get(source) ?? 1) - 1;
      if (left > 0) this.perAddress.set(source, left);
      else this.perAddress.delete(source);
    });
    checkFrames(stream, new MqttFrameLimit(this.config.mqtt.maxPacketBytes), (reason) => {
      this.metrics.mqttConnectionsRefused.inc({ reason });
      this.logger.debug(`closed a connection from ${source}: ${reason}`);
      stream.destroy();
    });
    this.sources.set(stream, source);
    handle(coalesceWrites(stream));
  }

  /**
   * MQTT_CLUSTER=redis: subscriptions, retained messages and wills shared through Redis (under
   * REDIS_PREFIX), so a message published by any process reaches the device on any other. Each
   * broker needs its own id: a broker that stops announcing itself has its devices' wills sent.
   */
  private clusterOptions(): { id: string; mq?: unknown; persistence?: unknown } {
    if (this.config.mqtt.cluster !== 'redis') return { id: 'spp-embedded' };
    const persistence = aedesPersistenceRedis({ conn: this.redisConnection({ keyPrefix: `${this.redis.keys.mqttCluster()}:` }) });
    this.clusterPersistence = persistence;
    return {
      id: `spp-${this.leases.holderId}`,
      mq: new MQEmitterRedisPrefix(`${this.redis.keys.mqttCluster()}/`, { pubConn: this.redisConnection(), subConn: this.redisConnection() }),
      persistence,
    };
  }

  private redisConnection(options: { keyPrefix?: string } = {}) {
    const connection = this.redis.client.duplicate(options);
    connection.on('error', () => undefined); // surfaces through failing publishes and /health
    // aedes' packages close these with disconnect() (failing the commands still in flight) or an
    // unawaited quit(): either left a "Connection is closed" rejection unhandled, which ended the
    // process while it shut down. QUIT lets pending commands finish; its own failure is moot.
    const quit = connection.quit.bind(connection);
    const quietQuit = () => quit().catch(() => 'OK' as const);
    connection.quit = quietQuit as typeof connection.quit;
    connection.disconnect = () => void quietQuit();
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

/**
 * Checks the bytes aedes takes from the connection before its parser sees them: aedes reads with
 * read() on 'readable', so wrapping read() refuses a packet from its header, before a body is
 * buffered. A Transform and a Duplex around each connection did the same for 6 KB of heap each,
 * a fifth of a connected device's memory.
 */
function checkFrames(stream: Duplex, limit: MqttFrameLimit, refuse: (reason: string) => void): void {
  const read = stream.read.bind(stream);
  stream.read = ((size?: number) => {
    const chunk = read(size) as Buffer | null;
    if (chunk === null) return null;
    const verdict = limit.push(chunk);
    if (verdict.ok) return chunk;
    refuse(verdict.reason);
    return null;
  }) as typeof stream.read;
}

/**
 * Makes the writes of one tick leave the socket as one writev. aedes writes every packet in
 * pieces, and a WAL group commit releases hundreds of PUBACKs at once: uncorked,
 * each piece was a system call of its own, the broker's largest cost under load.
 */
function coalesceWrites(stream: Duplex): Duplex {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const uncork = () => stream.uncork();
  stream.write = ((...args: unknown[]) => {
    if (stream.writableCorked === 0) {
      stream.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as typeof stream.write;
  return stream;
}
