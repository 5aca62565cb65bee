import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { z } from 'zod';
import {
  deviceIdSchema,
  deviceMayAccess,
  emqxAuthnRequestSchema,
  emqxAuthzRequestSchema,
  platformMayAccess,
  type EmqxAuthnRequest,
  type EmqxAuthzRequest,
  type EmqxHookResponse,
} from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { AuditRepository } from '../repositories/audit.repository';
import { BrokerHookServerRepository, type HookReply, type HookRequest } from '../repositories/broker-hook-server.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { DeviceAuthService } from './device-auth.service';
import { DeviceDirectoryService } from './device-directory.service';
import { IngestService } from './ingest.service';

export const EMQX_AUTHN_PATH = '/emqx/authn';
export const EMQX_AUTHZ_PATH = '/emqx/authz';

const allow: EmqxHookResponse = { result: 'allow', is_superuser: false };
const deny: EmqxHookResponse = { result: 'deny' };

/** Sha-256 first, so secrets of any length compare in constant time. */
const digest = (value: string) => createHash('sha256').update(value).digest();
const sameSecret = (given: string, expected: Buffer) => timingSafeEqual(digest(given), expected);

/**
 * EMQX 5's HTTP authentication and authorisation hooks (MQTT_BROKER_AUTH=emqx-http), served on
 * their own listener to EMQX only, which proves itself with BROKER_AUTH_SECRET as a bearer token.
 * - Authentication: username = client id = device id, password = the device secret, checked by
 *   DeviceDirectoryService (cached); the platform's own user (MQTT_USERNAME) with MQTT_PASSWORD.
 *   Failures back off per device id and source address (DeviceAuthService), refused unchecked meanwhile.
 * - Authorisation: contract §2 through the same rules as the embedded broker (deviceMayAccess),
 *   the platform user's shared subscriptions and commands (platformMayAccess).
 * Refusals are counted like the embedded broker's (spp_mqtt_auth_failures_total,
 * spp_mqtt_acl_denied_total, refused publishes dead-lettered) and a registered device's refused
 * logins are audited (throttled attempts only counted, so a flood cannot fill the audit log).
 */
@Injectable()
export class EmqxHookService implements OnApplicationShutdown {
  private readonly logger = new Logger(EmqxHookService.name);
  private readonly hookSecret?: Buffer;
  private readonly platformPassword?: Buffer;
  private started = false;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly server: BrokerHookServerRepository,
    private readonly directory: DeviceDirectoryService,
    private readonly deviceAuth: DeviceAuthService,
    private readonly ingest: IngestService,
    private readonly audit: AuditRepository,
    private readonly metrics: MetricsRepository,
  ) {
    const secret = config.brokerAuth.hookSecret;
    this.hookSecret = secret ? digest(secret) : undefined;
    this.platformPassword = config.mqtt.password !== undefined ? digest(config.mqtt.password) : undefined;
  }

  /** Serves the hooks in this process (those with the `broker` role) when EMQX is the broker. */
  async start(): Promise<void> {
    if (!this.config.mqtt.externalUrl || this.config.brokerAuth.mode !== 'emqx-http') return;
    await this.server.start((request) => this.handle(request));
    this.started = true;
  }

  get port(): number | undefined {
    return this.server.port;
  }

  get serving(): boolean {
    return this.started;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.stop();
  }

  async handle(request: HookRequest): Promise<HookReply> {
    const hook = request.path === EMQX_AUTHN_PATH ? 'authn' : request.path === EMQX_AUTHZ_PATH ? 'authz' : undefined;
    if (!hook) return { status: 404, body: { error: `no hook at ${request.path}; EMQX calls ${EMQX_AUTHN_PATH} and ${EMQX_AUTHZ_PATH}` } };
    if (request.method !== 'POST') return { status: 405, body: { error: 'use POST with a JSON body' } };
    const bearer = /^Bearer (.+)$/.exec(request.authorization ?? '')?.[1];
    if (!this.hookSecret || !bearer || !sameSecret(bearer, this.hookSecret)) {
      this.metrics.brokerHookRequests.inc({ hook, result: 'bad_hook_secret' });
      // EMQX takes a 4xx as "ignore": with no other authenticator behind, the client is refused.
      return { status: 401, body: { error: 'missing or wrong BROKER_AUTH_SECRET' } };
    }
    const body = hook === 'authn' ? parse(emqxAuthnRequestSchema, request.body) : parse(emqxAuthzRequestSchema, request.body);
    if ('error' in body) {
      this.metrics.brokerHookRequests.inc({ hook, result: 'invalid' });
      return { status: 400, body: { error: body.error } };
    }
    const answer = hook === 'authn' ? await this.authenticate(body.value as EmqxAuthnRequest) : await this.authorize(body.value as EmqxAuthzRequest);
    this.metrics.brokerHookRequests.inc({ hook, result: answer.result });
    return { status: 200, body: answer };
  }

  async authenticate(request: EmqxAuthnRequest): Promise<EmqxHookResponse> {
    const { username, clientid, password, peerhost } = request;
    if (username === this.config.mqtt.username) {
      if (this.platformPassword && sameSecret(password, this.platformPassword)) return allow;
      return this.refuse('bad_platform_password', username, peerhost, false);
    }
    if (!username || username !== clientid) return this.refuse('username_must_equal_client_id', username, peerhost, false);
    if (!deviceIdSchema.safeParse(username).success) return this.refuse('unknown_device', username, peerhost, false);
    const result = await this.deviceAuth.authenticate(username, password, peerhost ?? 'unknown', 'emqx');
    if (result.ok) return allow;
    return this.refuse(result.reason, username, peerhost, result.reason !== 'unknown_device' && result.reason !== 'throttled');
  }

  async authorize(request: EmqxAuthzRequest): Promise<EmqxHookResponse> {
    const { username, clientid, topic, action } = request;
    if (username === this.config.mqtt.username) {
      if (platformMayAccess(this.config.mqtt.shareGroup, action, topic)) return allow;
      return this.denyAccess(action, username, topic, `the platform's user may not ${action} ${topic}`);
    }
    if (username !== clientid) return this.denyAccess(action, clientid, topic, 'username differs from client id');
    const device = await this.directory.get(username);
    if (!device || device.disabled) return this.denyAccess(action, username, topic, device ? 'device is disabled' : 'no such device is registered');
    if (deviceMayAccess(username, action, topic)) return allow;
    return this.denyAccess(action, username, topic, `${username} may not ${action} ${topic}`);
  }

  private refuse(reason: string, username: string, peerhost: string | undefined, audited: boolean): EmqxHookResponse {
    this.metrics.mqttAuthFailures.inc({ reason });
    if (audited) {
      this.audit
        .record({ actorId: null, action: 'mqtt.auth_refused', subjectType: 'device', subjectId: username, detail: { reason, peerhost, broker: 'emqx' } })
        .catch((error: Error) => this.logger.warn(`audit of a refused login failed: ${error.message}`));
    }
    return deny;
  }

  private denyAccess(action: 'publish' | 'subscribe', clientId: string, topic: string, detail: string): EmqxHookResponse {
    this.metrics.mqttAclDenied.inc({ action });
    if (action === 'publish') this.ingest.recordRefusal('acl_denied', clientId.slice(0, 64), topic, Buffer.alloc(0), detail);
    else this.logger.warn(detail);
    return deny;
  }
}

function parse<T>(schema: z.ZodType<T>, text: string): { value: T } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: 'the body is not JSON' };
  }
  const result = schema.safeParse(json);
  if (!result.success) return { error: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
  return { value: result.data };
}
