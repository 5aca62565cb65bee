import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import mqtt, { type MqttClient } from 'mqtt';
import { TOPIC_PREFIX, devicePublishChannels, deviceSubscribeChannel, deviceTopic, platformSubscriptions } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import type { BrokerClient } from '../domain/broker-reconciliation';
import { CryptoRepository } from './crypto.repository';
import { redact } from './external-mqtt.repository';

const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;
/** Every device client the platform created or adopted is in this group; nothing else is. */
const DEVICE_GROUP = 'spp-devices';
/** Devices created without their secret (by reconciliation): disabled until a rotation. */
const NEEDS_SECRET_GROUP = 'spp-devices-needing-secret';
/** The platform's own rights beyond the plugin's admin role: commands to devices, its shared subscriptions. */
const PLATFORM_ROLE = 'spp-platform-access';
/** Each device's own topic permissions, contract §2 (Mosquitto 2.0's plugin has no %u/%c in role ACLs). */
const deviceRole = (id: string) => `spp-device-${id}`;
const deviceAcls = (id: string) => [
  ...devicePublishChannels.map((channel) => ({ acltype: 'publishClientSend', topic: deviceTopic(id, channel), allow: true })),
  { acltype: 'subscribeLiteral', topic: deviceTopic(id, deviceSubscribeChannel), allow: true },
];
const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Commands per control message. The plugin answers a message once all its commands are done, and
 * Mosquitto serves nobody else meanwhile: each command rewrites the plugin's file (about 0.5 s with
 * 10,000 devices, see deploy/README.md), so a bulk import goes in small messages, letting the broker
 * serve its connections in between, and each message may take 2 s per command before it times out.
 */
const COMMANDS_PER_MESSAGE = 10;
const TIMEOUT_PER_COMMAND_MS = 2000;

interface Command {
  command: string;
  [field: string]: unknown;
}

interface CommandResponse {
  command: string;
  error?: string;
  correlationData?: string;
  data?: Record<string, unknown>;
}

interface ListedClient {
  username: string;
  disabled?: boolean;
  groups?: Array<{ groupname: string }>;
  roles?: Array<{ rolename: string }>;
}

interface Acl {
  acltype: string;
  topic: string;
  allow: boolean;
}

interface ClientState {
  disabled: boolean;
  groups: Set<string>;
  roles: Set<string>;
}

export class DynsecCommandError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`${command}: ${reason}`);
  }
}

/**
 * Mosquitto 2's dynamic-security plugin, driven through its `$CONTROL/dynamic-security/v1` topic
 * by a control client logged in as the platform's broker user (MQTT_USERNAME, which must hold a
 * role allowed that topic). Device clients: username = client id = device id, password = the
 * device secret (the plugin stores its own PBKDF2 hash), marked by membership of DEVICE_GROUP.
 * Topic permissions: Mosquitto 2.0's plugin matches role ACLs literally (no %u/%c, checked in
 * its acl.c up to 2.0.20), so "one role per channel pattern" cannot be written; each device gets
 * a role of its own holding its five contract rules, and everything else is refused by the
 * plugin's default access (no acl_file beside it: Mosquitto 2.0's acl_file allows every
 * subscription, which would widen what a device may receive).
 *
 * Every command makes the plugin rewrite its whole JSON file, which costs time in proportion to
 * the number of clients (measured in deploy/README.md); commands that change nothing are not sent.
 */
@Injectable()
export class MosquittoDynsecRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(MosquittoDynsecRepository.name);
  private client?: MqttClient;
  private connecting?: Promise<MqttClient>;
  private readonly pending = new Map<string, { resolve: (r: CommandResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly reconnectListeners: Array<() => void> = [];
  private sequence = 0;
  private readonly requestPrefix: string;
  /** Settled while connected and subscribed to the answers; replaced by a pending one on every close. */
  private subscribed: Gate = settledGate();

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    crypto: CryptoRepository,
  ) {
    this.requestPrefix = `spp-${crypto.randomId(4)}`;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Called after the control connection came back (the broker may have restarted with other data). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** The devices' clients and every other client (unmanaged), as the reconciliation compares them. */
  async listClients(): Promise<BrokerClient[]> {
    const [response] = await this.run([{ command: 'listClients', verbose: true }]);
    return ((response.data?.clients as ListedClient[] | undefined) ?? []).map((c) => {
      const groups = new Set((c.groups ?? []).map((g) => g.groupname));
      const hasDeviceRole = (c.roles ?? []).some((r) => r.rolename === deviceRole(c.username));
      return { username: c.username, disabled: c.disabled === true, managed: groups.has(DEVICE_GROUP), needsSecret: groups.has(NEEDS_SECRET_GROUP), hasDeviceRole };
    });
  }

  /** Creates the groups that mark the platform's clients; they may exist already. */
  async ensureGroups(): Promise<void> {
    const responses = await this.run([
      { command: 'createGroup', groupname: DEVICE_GROUP, textname: 'Smart-property platform devices (managed by the platform)' },
      { command: 'createGroup', groupname: NEEDS_SECRET_GROUP, textname: 'Devices created without their secret: rotate it in the platform' },
    ]);
    for (const r of responses) if (r.error && r.error !== 'Group already exists') throw new DynsecCommandError(r.command, r.error);
  }

  /**
   * Gives each device its secret, permissions and state: creates its role and client, or updates
   * a client the platform manages. A client of that name that the platform does not manage (the
   * platform's own user, an operator's) is refused and left as it is. Returns the refusals by id.
   */
  async putDevices(devices: ReadonlyArray<{ id: string; secret: string; enabled: boolean }>): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    const responses = await this.run(
      devices.flatMap((d) => [
        { command: 'createRole', rolename: deviceRole(d.id), acls: deviceAcls(d.id) },
        { command: 'createClient', username: d.id, clientid: d.id, password: d.secret, roles: [{ rolename: deviceRole(d.id) }], groups: [{ groupname: DEVICE_GROUP }] },
      ]),
    );
    const existing: Array<{ id: string; secret: string; enabled: boolean }> = [];
    const disable: string[] = [];
    devices.forEach((device, i) => {
      const [role, client] = [responses[2 * i], responses[2 * i + 1]];
      if (role.error && role.error !== 'Role already exists') failed.set(device.id, `createRole: ${role.error}`);
      else if (!client.error) {
        if (!device.enabled) disable.push(device.id);
      } else if (client.error === 'Client already exists') existing.push(device);
      else failed.set(device.id, `createClient: ${client.error}`);
    });
    for (const device of existing) {
      const current = await this.getClient(device.id);
      if (!current?.groups.has(DEVICE_GROUP)) {
        failed.set(device.id, `the broker has a user named ${device.id} that the platform does not manage`);
        continue;
      }
      // modifyClient replaces the lists: keep the operator's groups and roles, drop "needs a secret".
      const groups = [...current.groups].filter((g) => g !== NEEDS_SECRET_GROUP).map((groupname) => ({ groupname }));
      const roles = [...new Set([...current.roles, deviceRole(device.id)])].map((rolename) => ({ rolename }));
      const commands: Command[] = [{ command: 'modifyClient', username: device.id, clientid: device.id, password: device.secret, groups, roles }];
      if (device.enabled === current.disabled) commands.push({ command: device.enabled ? 'enableClient' : 'disableClient', username: device.id });
      const error = (await this.run(commands)).find((r) => r.error);
      if (error) failed.set(device.id, `${error.command}: ${error.error}`);
    }
    for (const [id, error] of await this.disable(disable)) failed.set(id, error);
    return failed;
  }

  /** Enables or disables a device's client; disabling also disconnects it. */
  async setEnabled(id: string, enabled: boolean): Promise<'done' | 'missing' | 'needs_secret'> {
    if (enabled) {
      const current = await this.getClient(id);
      if (!current || !current.groups.has(DEVICE_GROUP)) return 'missing';
      if (current.groups.has(NEEDS_SECRET_GROUP)) return 'needs_secret';
    }
    const [response] = await this.run([{ command: enabled ? 'enableClient' : 'disableClient', username: id }]);
    if (response.error === 'Client not found') return 'missing';
    if (response.error) throw new DynsecCommandError(response.command, response.error);
    return 'done';
  }

  /** Creates clients for devices whose secret is lost to the broker: disabled, with a random password nobody knows. */
  async createWithoutSecret(ids: readonly string[], randomSecret: () => string): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    const commands = ids.flatMap((id) => [
      { command: 'createRole', rolename: deviceRole(id), acls: deviceAcls(id) },
      {
        command: 'createClient',
        username: id,
        clientid: id,
        password: randomSecret(),
        roles: [{ rolename: deviceRole(id) }],
        groups: [{ groupname: DEVICE_GROUP }, { groupname: NEEDS_SECRET_GROUP }],
      },
      { command: 'disableClient', username: id },
    ]);
    const responses = await this.run(commands);
    responses.forEach((r, i) => {
      if (r.error && r.error !== 'Role already exists') failed.set(ids[Math.floor(i / 3)], `${r.command}: ${r.error}`);
    });
    return failed;
  }

  /** Marks existing clients as the platform's (keeping their password and other groups). */
  async adopt(ids: readonly string[]): Promise<Map<string, string>> {
    return this.failures(ids, await this.run(ids.map((username) => ({ command: 'addGroupClient', groupname: DEVICE_GROUP, username }))));
  }

  /** Gives devices' clients their topic permissions (the role is created again if it was deleted). */
  async grant(ids: readonly string[]): Promise<Map<string, string>> {
    const responses = await this.run(
      ids.flatMap((id) => [
        { command: 'createRole', rolename: deviceRole(id), acls: deviceAcls(id) },
        { command: 'addClientRole', username: id, rolename: deviceRole(id) },
      ]),
    );
    const failed = new Map<string, string>();
    responses.forEach((r, i) => {
      if (r.error && r.error !== 'Role already exists') failed.set(ids[Math.floor(i / 2)], `${r.command}: ${r.error}`);
    });
    return failed;
  }

  /**
   * Gives the platform's own user (MQTT_USERNAME) what it needs besides the plugin's admin role:
   * publishing commands to devices and its shared subscriptions (MQTT_SHARE_GROUP). Changing a
   * user's roles makes the plugin disconnect that user's connections, this one included, so it
   * happens only when something is missing (the first start, a new share group), before the
   * platform subscribes; the change is then read back.
   */
  async ensurePlatformAccess(): Promise<'unchanged' | 'granted'> {
    const username = this.config.mqtt.username ?? '';
    const wanted: Acl[] = [
      { acltype: 'publishClientSend', topic: `${TOPIC_PREFIX}/+/${deviceSubscribeChannel}`, allow: true },
      ...platformSubscriptions(this.config.mqtt.shareGroup).map((topic) => ({ acltype: 'subscribePattern', topic, allow: true })),
    ];
    const missing = async () => {
      const role = await this.getRole(PLATFORM_ROLE);
      const own = await this.getClient(username);
      if (!own) throw new Error(`the broker has no client ${username} (MQTT_USERNAME)`);
      const has = (a: Acl) => role?.some((r) => r.acltype.toLowerCase() === a.acltype.toLowerCase() && r.topic === a.topic && r.allow === a.allow);
      return { role, acls: wanted.filter((a) => !has(a)), member: own.roles.has(PLATFORM_ROLE) };
    };
    const before = await missing();
    if (before.role && before.acls.length === 0 && before.member) return 'unchanged';
    const commands: Command[] = before.role
      ? before.acls.map((acl) => ({ command: 'addRoleACL', rolename: PLATFORM_ROLE, ...acl }))
      : [{ command: 'createRole', rolename: PLATFORM_ROLE, textname: 'Smart-property platform: device commands and shared subscriptions', acls: wanted }];
    if (!before.member) commands.push({ command: 'addClientRole', username, rolename: PLATFORM_ROLE });
    const dropped = new Promise<void>((resolve) => {
      this.client?.once('close', () => resolve());
      setTimeout(resolve, 3000).unref();
    });
    // QoS 0 and no waiting for answers: they are published after the plugin dropped this connection.
    this.client?.publish(CONTROL_TOPIC, JSON.stringify({ commands }), { qos: 0 });
    await dropped;
    const after = await missing();
    if (!after.role || after.acls.length > 0 || !after.member) throw new Error(`could not give ${username} the role ${PLATFORM_ROLE}`);
    return 'granted';
  }

  async disable(ids: readonly string[]): Promise<Map<string, string>> {
    return this.failures(ids, await this.run(ids.map((username) => ({ command: 'disableClient', username }))));
  }

  async enable(ids: readonly string[]): Promise<Map<string, string>> {
    return this.failures(ids, await this.run(ids.map((username) => ({ command: 'enableClient', username }))));
  }

  async onApplicationShutdown(): Promise<void> {
    for (const [, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new Error('shutting down'));
    }
    this.pending.clear();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    await client?.endAsync(true);
  }

  private failures(ids: readonly string[], responses: CommandResponse[]): Map<string, string> {
    const failed = new Map<string, string>();
    responses.forEach((r, i) => r.error && failed.set(ids[i], `${r.command}: ${r.error}`));
    return failed;
  }

  private async getClient(username: string): Promise<ClientState | undefined> {
    const [response] = await this.run([{ command: 'getClient', username }]);
    if (response.error === 'Client not found') return undefined;
    if (response.error) throw new DynsecCommandError(response.command, response.error);
    const client = response.data?.client as ListedClient;
    return {
      disabled: client.disabled === true,
      groups: new Set((client.groups ?? []).map((g) => g.groupname)),
      roles: new Set((client.roles ?? []).map((r) => r.rolename)),
    };
  }

  private async getRole(rolename: string): Promise<Acl[] | undefined> {
    const [response] = await this.run([{ command: 'getRole', rolename }]);
    if (response.error === 'Role not found') return undefined;
    if (response.error) throw new DynsecCommandError(response.command, response.error);
    return ((response.data?.role as { acls?: Acl[] } | undefined)?.acls ?? []).map((a) => ({ acltype: a.acltype, topic: a.topic, allow: a.allow }));
  }

  /** Sends commands (in messages of COMMANDS_PER_MESSAGE) and returns their responses in order. */
  private async run(commands: readonly Command[]): Promise<CommandResponse[]> {
    if (commands.length === 0) return [];
    const client = await this.connection();
    const responses: CommandResponse[] = [];
    for (let i = 0; i < commands.length; i += COMMANDS_PER_MESSAGE) {
      // After a lost connection, wait until the answers' topic is subscribed again (or give up).
      await withTimeout(this.subscribed.promise, REQUEST_TIMEOUT_MS, 'the control connection to the broker is down');
      const chunk = commands.slice(i, i + COMMANDS_PER_MESSAGE).map((c) => ({ ...c, correlationData: `${this.requestPrefix}-${++this.sequence}` }));
      const timeoutMs = REQUEST_TIMEOUT_MS + chunk.length * TIMEOUT_PER_COMMAND_MS;
      const answers = chunk.map((c) => this.awaitResponse(c.correlationData, c.command, timeoutMs));
      // QoS 1: a PUBACK means the broker took the commands; the answers come on the response topic.
      await client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: chunk }), { qos: 1 }).catch((error: Error) => {
        for (const c of chunk) this.settle(c.correlationData, undefined, error);
        throw error;
      });
      responses.push(...(await Promise.all(answers)));
    }
    return responses;
  }

  private awaitResponse(correlationData: string, command: string, timeoutMs: number): Promise<CommandResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(correlationData, undefined, new Error(`no answer to ${command} within ${timeoutMs / 1000} s: is Mosquitto's dynamic-security plugin loaded?`)), timeoutMs);
      this.pending.set(correlationData, { resolve, reject, timer });
    });
  }

  private settle(correlationData: string, response: CommandResponse | undefined, error?: Error): void {
    const request = this.pending.get(correlationData);
    if (!request) return;
    this.pending.delete(correlationData);
    clearTimeout(request.timer);
    if (response) request.resolve(response);
    else request.reject(error ?? new Error('no answer'));
  }

  private connection(): Promise<MqttClient> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().then(
      (client) => (this.client = client),
      (error: Error) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  private async connect(): Promise<MqttClient> {
    const url = this.config.mqtt.externalUrl;
    if (!url) throw new Error('MQTT_URL is not set');
    const client = mqtt.connect(url, {
      clientId: `spp-dynsec-${this.requestPrefix.slice(4)}`,
      username: this.config.mqtt.username,
      password: this.config.mqtt.password,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    });
    client.on('message', (topic, payload) => {
      if (topic !== RESPONSE_TOPIC) return;
      let body: { responses?: CommandResponse[] };
      try {
        body = JSON.parse(payload.toString('utf8')) as { responses?: CommandResponse[] };
      } catch {
        return;
      }
      // Every control client sees every answer: only ours carry our correlation data.
      for (const response of body.responses ?? []) if (response.correlationData) this.settle(response.correlationData, response);
    });
    client.on('error', (error) => this.logger.warn(`dynamic-security control connection: ${error.message}`));
    client.on('close', () => {
      if (this.subscribed.settled) this.subscribed = pendingGate();
      // Commands in flight may have been lost with the connection: fail them now, not at the time-out.
      for (const [id] of this.pending) this.settle(id, undefined, new Error('the control connection to the broker closed'));
    });
    let first = true;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        first = false;
        clearTimeout(timer);
        client.end(true);
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`cannot reach the broker's dynamic-security plugin at ${redact(url)} (MQTT_URL)`)), 15_000);
      // A refused CONNECT (bad MQTT_USERNAME/MQTT_PASSWORD) will not get better by retrying.
      client.once('error', (error: Error & { code?: number }) => {
        if (first && typeof error.code === 'number') fail(new Error(`the broker refused the platform's user ${this.config.mqtt.username}: ${error.message}`));
      });
      client.on('connect', () => {
        // A clean session forgets the subscription: subscribe again on every connect.
        client.subscribe(RESPONSE_TOPIC, { qos: 0 }, (error, granted) => {
          const refused = error ?? (granted?.[0]?.qos === 128 ? new Error(`the broker refused ${this.config.mqtt.username} the topic ${RESPONSE_TOPIC}: give it a role allowed $CONTROL/dynamic-security/#`) : undefined);
          if (first) {
            if (refused) return fail(refused);
            first = false;
            clearTimeout(timer);
            return resolve();
          }
          if (refused) return this.logger.error(refused.message);
          this.subscribed.resolve();
          for (const listener of this.reconnectListeners) listener();
        });
      });
    });
    return client;
  }
}

interface Gate {
  promise: Promise<void>;
  resolve: () => void;
  settled: boolean;
}

function pendingGate(): Gate {
  const gate = { settled: false } as Gate;
  gate.promise = new Promise<void>((resolve) => {
    gate.resolve = () => {
      gate.settled = true;
      resolve();
    };
  });
  return gate;
}

function settledGate(): Gate {
  const gate = pendingGate();
  gate.resolve();
  return gate;
}

async function withTimeout(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
