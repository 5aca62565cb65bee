import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { AppModule } from './app.module';
import { hasRole, parseConfig, type PlatformConfig } from './config/config';
import { listen } from './config/listen';
import { assertEveryRouteDeclared } from './middleware/auth.guard';
import { securityHeaders } from './middleware/security-headers';
import { DatabaseRepository } from './repositories/database.repository';
import { InfluxRepository } from './repositories/influx.repository';
import { AuthService } from './services/auth.service';
import { BrokerService } from './services/broker.service';
import { SingletonDutyService } from './services/singleton-duty.service';

export interface RunningPlatform {
  config: PlatformConfig;
  app: NestExpressApplication;
  httpUrl: string;
  mqttUrl?: string;
  mqttWsUrl?: string;
  /** The EMQX authentication hooks of this process (MQTT_BROKER_AUTH=emqx-http and the broker role). */
  brokerHooksUrl?: string;
  close(): Promise<void>;
}

/** How often the holder of the InfluxDB set-up duty tries again while InfluxDB is down. */
const INFLUX_PREPARE_RETRY_MS = 5000;

const levels: Record<PlatformConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Starts the platform from an environment record (the only configuration source). */
export async function startPlatform(env: Record<string, string | undefined>): Promise<RunningPlatform> {
  const config = parseConfig(env);
  if (!config.mqtt.externalUrl && hasRole(config, 'ingest') !== hasRole(config, 'broker')) {
    throw new Error('ROLES: with the embedded broker (MQTT_URL unset), broker and ingest run in the same process');
  }
  const logger = new Logger('Platform');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    logger: levels[config.logLevel],
    bodyParser: true,
    // Payment notifications are verified against the exact bytes received (WeChat Pay signs the raw body).
    rawBody: true,
  });
  app.enableShutdownHooks();
  try {
    await app.get(DatabaseRepository).migrate();
    await app.get(AuthService).ensureAdministrator();
    prepareInflux(app.get(InfluxRepository), app.get(SingletonDutyService), logger);

    const api = hasRole(config, 'api');
    if (api) {
      assertEveryRouteDeclared(app);
      app.disable('x-powered-by');
      app.use(securityHeaders('/api/docs'));
      if (config.auth.trustProxy) app.set('trust proxy', /^\d+$/.test(config.auth.trustProxy) ? Number(config.auth.trustProxy) : config.auth.trustProxy);
      const webRoot = [join(__dirname, '..', 'web'), join(process.cwd(), 'apps', 'platform', 'web')].find((p) => existsSync(p));
      if (webRoot) app.useStaticAssets(webRoot, { index: 'index.html', redirect: true });
      const document = SwaggerModule.createDocument(
        app,
        new DocumentBuilder().setTitle('Smart-property platform').setVersion('1').addBearerAuth().build(),
      );
      SwaggerModule.setup('api/docs', app, cleanupOpenApiDoc(document), { jsonDocumentUrl: 'api/docs-json' });
    }
    await app.init();
    const broker = app.get(BrokerService);
    await broker.start();
    const httpPort = await listen(app.getHttpServer(), config.http.port, config.http.host, 'HTTP_PORT');
    const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
    const running: RunningPlatform = {
      config,
      app,
      httpUrl: `http://${host}:${httpPort}`,
      mqttUrl: broker.ports.mqtt ? `mqtt://${host}:${broker.ports.mqtt}` : config.mqtt.externalUrl,
      mqttWsUrl: broker.ports.ws ? `ws://${host}:${broker.ports.ws}` : undefined,
      brokerHooksUrl: broker.ports.brokerHooks
        ? `http://${config.brokerAuth.hookHost === '0.0.0.0' ? '127.0.0.1' : config.brokerAuth.hookHost}:${broker.ports.brokerHooks}`
        : undefined,
      close: () => app.close(),
    };
    logger.log(`HTTP on ${running.httpUrl} (dashboard ${running.httpUrl}/dashboard/, API docs ${running.httpUrl}/api/docs)`);
    logger.log(`roles: ${[...config.roles].join(',')}; database: ${app.get(DatabaseRepository).engine}`);
    return running;
  } catch (error) {
    // Said before closing: a failure while closing must not hide why the start failed.
    logger.error(`start-up failed: ${(error as Error).stack ?? (error as Error).message}`);
    await app.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The database, retention policies and continuous queries, set up by one process of the cluster
 * (the holder of the duty's lease). InfluxDB may be down at start: readings are buffered meanwhile,
 * so the holder keeps trying in the background.
 */
function prepareInflux(influx: InfluxRepository, duties: SingletonDutyService, logger: Logger): void {
  let prepared = false;
  let failures = 0;
  duties.register({
    name: 'influx-prepare',
    everyMs: INFLUX_PREPARE_RETRY_MS,
    run: async () => {
      if (prepared) return;
      try {
        await influx.prepare();
        prepared = true;
        logger.log('InfluxDB database, retention policies and rollups ready');
      } catch (error) {
        if (++failures === 1) logger.warn(`InfluxDB not ready (${(error as Error).message}); retrying in the background`);
      }
    },
  });
}
