import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
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
import { fundControllers, fundProviders } from './modules/fund';
import { parkingControllers, parkingProviders } from './modules/parking';
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
import { JobRepository } from './repositories/job.repository';
import { LeaseRepository } from './repositories/lease.repository';
import { InfluxRepository } from './repositories/influx.repository';
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
import { DeviceDirectoryService } from './services/device-directory.service';
import { DeviceImportService } from './services/device-import.service';
import { DeviceService } from './services/device.service';
import { EmqxHookService } from './services/emqx-hook.service';
import { HealthService } from './services/health.service';
import { IngestService } from './services/ingest.service';
import { LiveStateService } from './services/live-state.service';
import { PresenceService } from './services/presence.service';
import { SingletonDutyService } from './services/singleton-duty.service';
import { TelemetryService } from './services/telemetry.service';

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
  JobRepository,
  LeaseRepository,
  MetricsRepository,
  MosquittoDynsecRepository,
  RedisRepository,
  SessionRepository,
  UserRepository,
];

const services = [
  AccessService,
  AuthService,
  BrokerRegistryService,
  BrokerService,
  CommunityService,
  DeviceDirectoryService,
  DeviceService,
  DeviceImportService,
  EmqxHookService,
  HealthService,
  IngestService,
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
      // Present in every process: without the api role it has no clients of its own, and its
      // broadcasts reach the api processes through the Redis adapter.
      WebsocketRepository,
      { provide: APP_PIPE, useClass: ZodValidationPipe },
      { provide: APP_FILTER, useClass: ErrorFilter },
      { provide: APP_GUARD, useClass: AuthGuard },
    ];
    return {
      module: AppModule,
      imports: [JwtModule.register({}), DiscoveryModule],
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
          ]
        : [HealthController],
      providers,
    };
  }
}
