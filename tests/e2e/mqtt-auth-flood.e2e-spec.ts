/**
 * Issue 8 item 2, device side: bad MQTT CONNECTs cost microseconds (device secrets are stored as
 * HMAC-SHA-256) and back off per source address and device id, so a flood of them — for a real
 * device id and for random ids — does not keep a legitimate device or a person from logging in.
 * Every refusal answers the same CONNACK, whether the device is unknown, disabled or the secret
 * wrong. A device whose secret is still stored as scrypt connects and is re-hashed.
 */
import { connect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { CryptoRepository } from '../../apps/platform/src/repositories/crypto.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { DeviceRepository } from '../../apps/platform/src/repositories/device.repository';
import { DeviceDirectoryService } from '../../apps/platform/src/services/device-directory.service';
import { ADMIN, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

/**
 * One raw CONNECT from `localAddress`: resolves with the bytes the broker answered before closing
 * (its CONNACK), or with what it sent within a successful connection's first answer.
 */
function connectRaw(port: number, localAddress: string, clientId: string, password: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId, username: clientId, password: Buffer.from(password) }));
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A CONNACK is 4 bytes: once it is here the answer is known.
      if (Buffer.concat(chunks).length >= 4) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

const returnCode = (connack: Buffer) => connack[3];

describe('MQTT authentication under a flood of bad CONNECTs', () => {
  let tp: TestPlatform;
  let port: number;
  let communityId: string;
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    tp = await startTestPlatform();
    port = Number(new URL(tp.mqttUrl!).port);
    communityId = (await tp.createCommunity()).id;
  }, 300_000);

  afterAll(async () => {
    await tp?.close();
  });

  it('keeps a legitimate device and a login working while hundreds of bad CONNECTs arrive, and backs the flood off', async () => {
    const victim = await tp.provisionDevice(communityId, 'elevator', { id: `flood-victim-${suffix}` });
    const legit = await tp.provisionDevice(communityId, 'gate', { id: `flood-legit-${suffix}` });
    const throttledBefore = await tp.metric('spp_mqtt_auth_failures_total', { reason: 'throttled' });

    // The flood comes from 127.0.0.2; the legitimate device and the person from 127.0.0.1. It
    // alternates the real device id with random ids and keeps going until the checks below are
    // done (at least 400 CONNECTs), so they always run while it does.
    let checksDone = false;
    const codes: number[] = [];
    let sent = 0;
    const nextAttempt = () => {
      if (checksDone && sent >= 400) return undefined;
      const i = sent++;
      return i % 2 === 0 ? connectRaw(port, '127.0.0.2', victim.id, 'not-the-secret') : connectRaw(port, '127.0.0.2', `flood-random-${i}-${suffix}`, 'whatever');
    };
    const flood = Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let next = nextAttempt(); next; next = nextAttempt()) codes.push(returnCode(await next));
      }),
    );

    await waitFor(() => codes.length >= 50, { timeoutMs: 120_000, message: 'the flood got going' });
    const client = await tp.connectDevice(legit);
    expect(client.connected).toBe(true);
    await client.endAsync();
    expect(await tp.login(ADMIN.username, ADMIN.password)).toEqual(expect.any(String));
    checksDone = true;
    await flood;

    expect(codes.length).toBeGreaterThanOrEqual(400);
    expect(new Set(codes)).toEqual(new Set([4]));
    expect(await tp.metric('spp_mqtt_auth_failures_total', { reason: 'throttled' })).toBeGreaterThan(throttledBefore + 300);
    const db = tp.platform.app.get(DatabaseRepository).db;
    const audits = await db.selectFrom('audit_log').selectAll().where('action', '=', 'mqtt.auth.throttled').execute();
    expect(audits.map((a) => `${a.subject_type}:${a.subject_id}`)).toEqual(expect.arrayContaining(['mqtt_address:127.0.0.2', `device:${victim.id}`]));
  }, 300_000);

  it('answers the same CONNACK for a disabled device, an unknown one and a wrong secret', async () => {
    const disabled = await tp.provisionDevice(communityId, 'fire', { id: `flood-disabled-${suffix}` });
    const other = await tp.provisionDevice(communityId, 'fire', { id: `flood-other-${suffix}` });
    expect((await tp.api('POST', `/api/v1/devices/${disabled.id}/disable`)).status).toBe(200);
    const answers = [
      await connectRaw(port, '127.0.0.3', disabled.id, disabled.secret),
      await connectRaw(port, '127.0.0.3', other.id, 'not-the-secret'),
      await connectRaw(port, '127.0.0.3', `flood-nobody-${suffix}`, other.secret),
    ];
    expect(answers[0]).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x04]));
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  }, 120_000);

  it('accepts a secret still stored as scrypt and stores it as HMAC after the connect', async () => {
    const device: ProvisionedDevice = await tp.provisionDevice(communityId, 'elevator', { id: `flood-legacy-${suffix}` });
    const devices = tp.platform.app.get(DeviceRepository);
    // As stored before this change: scrypt, "scrypt$N$r$p$salt$key".
    const legacyHash = await tp.platform.app.get(CryptoRepository).hash(device.secret);
    expect(legacyHash).toMatch(/^scrypt\$/);
    await devices.updateSecret(device.id, legacyHash, null);
    await tp.platform.app.get(DeviceDirectoryService).announceChange(device.id, 'credentials');

    const client = await tp.connectDevice(device);
    expect(client.connected).toBe(true);
    const stored = await waitFor(async () => (await devices.findById(device.id))?.secret_hash.startsWith('hmac-sha256$') && (await devices.findById(device.id))!.secret_hash, {
      timeoutMs: 10_000,
      message: 'secret re-hashed as HMAC',
    });
    expect(stored).not.toBe(legacyHash);
    // The device stays connected, and connects again with the new hash.
    expect(client.connected).toBe(true);
    await client.endAsync();
    const again = await tp.connectDevice(device);
    expect(again.connected).toBe(true);
    await again.endAsync();
  }, 120_000);
});
