import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { deviceTopic, parseDeviceTopic, type DeviceCommand } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { readingCount } from '../domain/device-message';
import { ClusterConnectionsRepository } from '../repositories/cluster-connections.repository';
import { EmbeddedBrokerRepository } from '../repositories/embedded-broker.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { ExternalMqttRepository } from '../repositories/external-mqtt.repository';
import { AlarmDetectionService } from './alarm-detection.service';
import { BrokerRegistryService } from './broker-registry.service';
import { DeviceAuthService } from './device-auth.service';
import { DeviceDirectoryService } from './device-directory.service';
import { EmqxHookService } from './emqx-hook.service';
import { IngestService } from './ingest.service';

/**
 * Wires MQTT to the platform: the embedded aedes broker (MQTT_URL unset) or a client of an
 * external broker, feeding the ingestion path, and the one way to send devices commands.
 */
@Injectable()
export class BrokerService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BrokerService.name);
  private mode?: 'embedded' | 'external';

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly embedded: EmbeddedBrokerRepository,
    private readonly external: ExternalMqttRepository,
    private readonly ingest: IngestService,
    private readonly directory: DeviceDirectoryService,
    private readonly deviceAuth: DeviceAuthService,
    private readonly registry: BrokerRegistryService,
    private readonly hooks: EmqxHookService,
    private readonly detection: AlarmDetectionService,
    private readonly clusterConnections: ClusterConnectionsRepository,
    bus: EventBusRepository,
  ) {
    // A device whose secret was rotated or that was disabled must connect (and authenticate) again.
    bus.on('device.changed', ({ deviceId, dropConnection }) => {
      if (dropConnection && this.mode === 'embedded') this.embedded.disconnect(deviceId);
    });
  }

  async start(): Promise<void> {
    const ingesting = hasRole(this.config, 'ingest');
    if (!this.config.mqtt.externalUrl) {
      if (!hasRole(this.config, 'broker')) return;
      this.mode = 'embedded';
      // In a cluster a device's messages are handled where it is connected: its rule state follows it.
      const clustered = this.config.mqtt.cluster === 'redis';
      if (clustered) await this.clusterConnections.start();
      await this.embedded.start({
        authenticate: async (deviceId, secret, source) => {
          const result = await this.deviceAuth.authenticate(deviceId, secret, source, 'embedded');
          if (result.ok && clustered) await this.detection.adoptDevice(deviceId);
          return result;
        },
        message: (topic, payload, qos) => this.ingest.handle(topic, payload, qos),
        cost: (topic, payload) => (parseDeviceTopic(topic)?.channel === 'telemetry' ? readingCount(payload) : 1),
        refused: (reason, deviceId, topic, payload, detail) => this.ingest.recordRefusal(reason, deviceId, topic, payload, detail),
        connectionChanged: (deviceId, connected) => {
          if (!connected && clustered) this.detection.releaseDevice(deviceId);
          if (clustered) this.recordClusterConnection(deviceId, connected);
          this.ingest.connectionChanged(deviceId, connected);
        },
      });
      return;
    }
    // With an external broker, the `broker` role keeps its device registry (MQTT_BROKER_AUTH):
    // dynamic-security reconciliation for Mosquitto, the authentication hooks for EMQX.
    if (hasRole(this.config, 'broker')) {
      await this.registry.start();
      await this.hooks.start();
    }
    if (!ingesting && !hasRole(this.config, 'api') && !hasRole(this.config, 'worker')) return;
    this.mode = 'external';
    await this.external.start(ingesting ? (topic, payload, qos) => this.ingest.handle(topic, payload, qos) : undefined);
  }

  get ports(): { mqtt?: number; ws?: number; brokerHooks?: number } {
    return { ...this.embedded.ports, brokerHooks: this.hooks.port };
  }

  /** Whether a device holds a connection right now; undefined when this process does not hold the connections (no embedded broker). */
  isConnected(deviceId: string): boolean | undefined {
    return this.mode === 'embedded' ? this.embedded.isConnected(deviceId) : undefined;
  }

  healthy(): boolean | undefined {
    if (this.mode === 'external') return this.external.connected;
    return this.mode === 'embedded' ? true : undefined;
  }

  /** Sends a command to a device on its commands topic (QoS 1). */
  async sendCommand(deviceId: string, command: DeviceCommand): Promise<void> {
    const topic = deviceTopic(deviceId, 'commands');
    const payload = JSON.stringify(command);
    if (this.mode === 'embedded') return this.embedded.publish(topic, payload, { qos: 1 });
    if (this.mode === 'external') return this.external.publish(topic, payload, { qos: 1 });
    throw new Error('this process has no MQTT connection (ROLES)');
  }

  /** Tells the cluster which process holds the device (the presence sweep of another process asks). */
  private recordClusterConnection(deviceId: string, connected: boolean): void {
    (connected ? this.clusterConnections.connected(deviceId) : this.clusterConnections.disconnected(deviceId)).catch((error: Error) =>
      this.logger.warn(`cluster connection of ${deviceId} not recorded: ${error.message}`),
    );
  }

  /**
   * Before any store closes (Nest calls every beforeApplicationShutdown before the first
   * onApplicationShutdown, where Redis and PostgreSQL close): MQTT stops, the devices are released,
   * and their last live state, dead letters and rule state are written while the stores are open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.mode === 'embedded') await this.embedded.stop();
    if (this.mode === 'embedded' && this.config.mqtt.cluster === 'redis') await this.clusterConnections.stop().catch(() => undefined);
    if (this.mode === 'external') await this.external.stop();
    this.logger.log('MQTT stopped');
    await this.ingest.brokerStopped();
    await this.detection.finish();
  }
}
