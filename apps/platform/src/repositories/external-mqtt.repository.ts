import { Injectable, Logger } from '@nestjs/common';
import mqtt, { type MqttClient } from 'mqtt';
import { platformSubscriptions } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { CryptoRepository } from './crypto.repository';

/**
 * The platform as a client of an external broker (Mosquitto, EMQX). It subscribes with shared
 * subscriptions ($share/<group>/...) so several platform processes split the load, and
 * acknowledges a QoS 1 message only once ingestion made it durable: if the platform falls behind,
 * the broker keeps the messages for it instead of this process dropping them.
 *
 * Device credentials and topic permissions are kept at the broker as MQTT_BROKER_AUTH says (see
 * BrokerRegistryService and deploy/).
 */
@Injectable()
export class ExternalMqttRepository {
  private readonly logger = new Logger(ExternalMqttRepository.name);
  private client?: MqttClient;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly crypto: CryptoRepository,
  ) {}

  async start(onMessage: ((topic: string, payload: Buffer, qos: 0 | 1 | 2) => Promise<void> | undefined) | undefined): Promise<void> {
    const url = this.config.mqtt.externalUrl;
    if (!url) throw new Error('MQTT_URL is not set');
    const persistent = this.config.mqtt.clientId !== undefined;
    const client = mqtt.connect(url, {
      clientId: this.config.mqtt.clientId ?? `spp-platform-${this.crypto.randomId(6)}`,
      username: this.config.mqtt.username,
      password: this.config.mqtt.password,
      protocolVersion: 5,
      // With MQTT_CLIENT_ID the broker keeps this process's subscriptions and queued messages
      // across a restart; without it a stopping process's unacknowledged share is lost to the
      // broker's clean-session rules (Mosquitto does not hand it to another group member).
      clean: !persistent,
      properties: persistent ? { sessionExpiryInterval: this.config.mqtt.sessionExpiryS } : undefined,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    });
    if (onMessage) {
      // mqtt.js sends PUBACK once handleMessage calls back: hold it until the message is durable
      // (the write-ahead log's group commit). mqtt.js handles one incoming message at a time.
      client.handleMessage = (packet, callback) => {
        const wait = onMessage(packet.topic, packet.payload as Buffer, packet.qos);
        if (!wait) return callback();
        wait.then(() => callback(), (error: Error) => callback(error));
      };
    }
    client.on('error', (error) => this.logger.warn(`external broker: ${error.message}`));
    client.on('reconnect', () => this.logger.warn(`reconnecting to ${redact(url)}`));
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cannot reach the external broker at ${redact(url)} (MQTT_URL)`)), 15_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (onMessage) {
      // Resubscribe on every (re)connect: a clean session forgets subscriptions.
      const subscribe = () =>
        client.subscribe(
          platformSubscriptions(this.config.mqtt.shareGroup),
          { qos: 1 },
          (error, granted) => {
            if (error) this.logger.error(`subscription failed: ${error.message}`);
            const refused = (granted ?? []).filter((g) => g.qos === 128);
            if (refused.length > 0) this.logger.error(`broker refused: ${refused.map((g) => g.topic).join(', ')}`);
          },
        );
      subscribe();
      client.on('connect', subscribe);
    }
    this.logger.log(`connected to external broker ${redact(url)}`);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async publish(topic: string, payload: string, options: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    if (!this.client) throw new Error('not connected to the external broker');
    await this.client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain ?? false });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }
}

/** A broker URL for logs and errors, its password hidden. */
export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
