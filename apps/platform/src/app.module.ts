import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { ZodValidationPipe } from 'nestjs-zod';
import { hasRole, type PlatformConfig } from './config/config';
import { PLATFORM_CONFIG } from './config/config.provider';
import { AuthController } from './controllers/auth.controller';
import { CommunityController, UnitController } from './controllers/community.controller';
import { DeviceController } from './controllers/device.controller';
import { HealthController } from './controllers/health.controller';
import { AuthGuard } from './middleware/auth.guard';
import { alarmsControllers, alarmsProviders } from './modules/alarms';
import { billingControllers, billingProviders } from './modules/billing';
import { ownersControllers, ownersProviders } from './modules/owners';
import { complaintsControllers, complaintsProviders } from './modules/complaints';
import { creditControllers, creditProviders } from './modules/credit';
import { boardControllers, boardProviders } from './modules/board';
import { fundControllers, fundProviders } from './modules/fund';
import { parkingControllers, parkingProviders } from './modules/parking';
import { maintenanceControllers, maintenanceProviders } from './modules/maintenance';
import { statisticsControllers, statisticsProviders } from './modules/statistics';
import { supervisionControllers, supervisionProviders } from './modules/supervision';
import { ErrorFilter } from './middleware/error.filter';
import { AuditRepository } from './repositories/audit.repository';
import { BrokerHookServerRepository } from './repositories/broker-hook-server.repository';
import { ClockRepository } from './repositories/clock.repository';
import { CommunityRepository } from './repositories/community.repository';
import { CryptoRepository } from './repositories/crypto.repository';
import { DatabaseRepository } from './repositories/database.repository';
import { DeviceRepository } from './repositories/device.repository';
import { EventBusRepository } from './repositories/event-bus.repository';
import { EmbeddedBrokerRepository } from './repositories/embedded-broker.repository';
import { EmqxApiRepository } from './repositories/emqx-api.repository';
import { ExternalMqttRepository } from './repositories/external-mqtt.repository';
import { FaultRepository } from './repositories/fault.repository';
import { JobRepository } from './repositories/job.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { WorkflowStepRepository } from './repositories/workflow-step.repository';
import { ClusterConnectionsRepository } from './repositories/cluster-connections.repository';
import { LeaseRepository } from './repositories/lease.repository';
import { InfluxRepository } from './repositories/influx.repository';
import { IngestWalRepository } from './repositories/ingest-wal.repository';
import { MetricsRepository } from './repositories/metrics.repository';
import { MosquittoDynsecRepository } from './repositories/mosquitto-dynsec.repository';
import { RedisRepository } from './repositories/redis.repository';
import { SessionRepository } from './repositories/session.repository';
import { UserRepository } from './repositories/user.repository';
import { WebsocketRepository } from './repositories/websocket.repository';
import { AccessService } from './services/access.service';
import { AuthService } from './services/auth.service';
import { BrokerRegistryService } from './services/broker-registry.service';
import { BrokerService } from './services/broker.service';
import { CommunityService } from './services/community.service';
import { DeviceAuthService } from './services/device-auth.service';
import { DeviceDirectoryService } from './services/device-directory.service';
import { DeviceImportService } from './services/device-import.service';
import { DeviceService } from './services/device.service';
import { EmqxHookService } from './services/emqx-hook.service';
import { HealthService } from './services/health.service';
import { IngestShipperService } from './services/ingest-shipper.service';
import { IngestService } from './services/ingest.service';
import { LiveStateService } from './services/live-state.service';
import { PlatformAlertService } from './services/platform-alert.service';
import { PresenceService } from './services/presence.service';
import { SingletonDutyService } from './services/singleton-duty.service';
import { TelemetryService } from './services/telemetry.service';
import { ServiceWiring } from './wiring';

const repositories = [
  AuditRepository,
  BrokerHookServerRepository,
  ClockRepository,
  CommunityRepository,
  CryptoRepository,
  DatabaseRepository,
  DeviceRepository,
  EmbeddedBrokerRepository,
  EmqxApiRepository,
  EventBusRepository,
  ExternalMqttRepository,
  InfluxRepository,
  IngestWalRepository,
  FaultRepository,
  JobRepository,
  LeaseRepository,
  ClusterConnectionsRepository,
  MetricsRepository,
  MosquittoDynsecRepository,
  OutboxRepository,
  RedisRepository,
  SessionRepository,
  UserRepository,
  WorkflowStepRepository,
];

const services = [
  AccessService,
  AuthService,
  BrokerRegistryService,
  BrokerService,
  CommunityService,
  DeviceDirectoryService,
  DeviceAuthService,
  DeviceService,
  DeviceImportService,
  EmqxHookService,
  HealthService,
  IngestService,
  PlatformAlertService,
  IngestShipperService,
  LiveStateService,
  PresenceService,
  SingletonDutyService,
  TelemetryService,
];

/** One module built from plain lists; ROLES decides whether HTTP and socket.io are part of it. */
@Module({})
export class AppModule {
  static register(config: PlatformConfig): DynamicModule {
    const api = hasRole(config, 'api');
    const providers: Provider[] = [
      { provide: PLATFORM_CONFIG, useValue: config },
      ...repositories,
      ...services,
      ...alarmsProviders,
      ...fundProviders,
      ...parkingProviders,
      ...billingProviders,
      ...boardProviders,
      ...ownersProviders,
      ...statisticsProviders,
      ...maintenanceProviders,
      ...supervisionProviders,
      ...complaintsProviders,
      ...creditProviders,
      // Present in every process: without the api role it has no clients of its own, and its
      // broadcasts reach the api processes through the Redis adapter.
      WebsocketRepository,
      ServiceWiring,
      { provide: APP_PIPE, useClass: ZodValidationPipe },
      { provide: APP_FILTER, useClass: ErrorFilter },
      { provide: APP_GUARD, useClass: AuthGuard },
    ];
    const jwtKey = createSecretKey(Buffer.from(config.auth.jwtSecret));
    return {
      module: AppModule,
      // One key object for every token: a string secret makes jsonwebtoken try it as a public key
      // (a thrown exception) and build a new key object on every request.
      imports: [JwtModule.register({ secretOrKeyProvider: () => jwtKey }), DiscoveryModule],
      controllers: api
        ? [
            AuthController,
            CommunityController,
            UnitController,
            DeviceController,
            HealthController,
            ...alarmsControllers,
            ...fundControllers,
            ...parkingControllers,
            ...billingControllers,
            ...boardControllers,
            ...ownersControllers,
            ...statisticsControllers,
            ...maintenanceControllers,
            ...supervisionControllers,
            ...complaintsControllers,
            ...creditControllers,
          ]
        : [HealthController],
      providers,
    };
  }
}
