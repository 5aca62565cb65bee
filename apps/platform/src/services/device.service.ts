import { BadRequestException, ConflictException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { CreateDeviceRequest, DeviceResponse } from '@app/contracts';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import { DeviceRepository, type DeviceRow } from '../repositories/device.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { BrokerRegistryError, BrokerRegistryService } from './broker-registry.service';
import { DeviceDirectoryService } from './device-directory.service';

export function mapDevice(d: DeviceRow): DeviceResponse {
  return {
    id: d.id,
    communityId: d.community_id,
    kind: d.kind,
    subtype: (d.subtype as DeviceResponse['subtype']) ?? null,
    name: d.name,
    location: d.location,
    disabled: d.disabled,
    createdAt: d.created_at.toISOString(),
  };
}

/** Device registry: provisioning, secret rotation, disabling. The plain secret is returned once and never stored. */
@Injectable()
export class DeviceService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly communities: CommunityRepository,
    private readonly directory: DeviceDirectoryService,
    private readonly brokerRegistry: BrokerRegistryService,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly crypto: CryptoRepository,
    private readonly clock: ClockRepository,
  ) {}

  async provision(user: AuthUser, input: CreateDeviceRequest): Promise<DeviceResponse & { secret: string }> {
    await this.access.requireInScope(user, input.communityId);
    if (input.buildingId) {
      const { buildings } = await this.communities.buildingsWithUnits(input.communityId);
      if (!buildings.some((b) => b.id === input.buildingId)) throw new BadRequestException(`building ${input.buildingId} is not in this community`);
    }
    const id = input.id ?? `${input.kind}-${this.crypto.randomId(6)}`;
    // Ids are global (they are MQTT usernames): one answer whether the id is used here or in
    // another community, and nothing about where or what.
    const unavailable = () => new ConflictException(`device id ${id} is not available: choose another, or leave it out to get a generated one`);
    if (await this.devices.findById(id)) throw unavailable();
    const secret = this.crypto.newSecret();
    const row = await this.devices
      .insert({
      id,
      community_id: input.communityId,
      kind: input.kind,
      subtype: input.subtype ?? null,
      name: input.name,
      location: input.location ?? null,
      building_id: input.buildingId ?? null,
        secret_hash: this.crypto.hashDeviceSecret(secret),
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw unavailable();
        throw error;
      });
    // The secret exists only in this response: a device the broker could not take is not provisioned.
    const refused = (await this.brokerRegistry.devicesCreated([{ id, secret }])).get(id);
    if (refused) {
      await this.devices.delete(id);
      throw new ServiceUnavailableException(`device ${id} was not provisioned: the MQTT broker did not take its credentials (${refused})`);
    }
    await this.directory.announceChange(id, 'created');
    await this.audit.record({ actorId: user.id, action: 'device.provisioned', subjectType: 'device', subjectId: id, detail: { kind: row.kind, communityId: row.community_id } });
    return { ...mapDevice(row), secret };
  }

  async list(user: AuthUser, communityId?: string): Promise<DeviceResponse[]> {
    const ids = communityId ? [(await this.access.requireInScope(user, communityId)).id] : await this.access.visibleCommunityIds(user);
    return (await this.devices.findByCommunities(ids)).map(mapDevice);
  }

  async get(user: AuthUser, id: string): Promise<DeviceResponse> {
    return mapDevice(await this.requireDevice(user, id));
  }

  /** A device the user may see, or 404 (also for devices of other communities). */
  async requireDevice(user: AuthUser, id: string): Promise<DeviceRow> {
    const device = await this.devices.findById(id);
    await this.access.requireInScope(user, device?.community_id, `device ${id}`);
    return device!;
  }

  async rotateSecret(user: AuthUser, id: string): Promise<DeviceResponse & { secret: string }> {
    const before = await this.requireDevice(user, id);
    const secret = this.crypto.newSecret();
    const row = await this.devices.updateSecret(id, this.crypto.hashDeviceSecret(secret), new Date(this.clock.now()));
    if (!row) throw new NotFoundException(`device ${id} not found`);
    try {
      await this.brokerRegistry.secretRotated(id, secret, !row.disabled);
    } catch (error) {
      if (!(error instanceof BrokerRegistryError)) throw error;
      // The broker still holds the old secret: keep it here too, so both agree and the device stays connected.
      await this.devices.updateSecret(id, before.secret_hash, before.secret_rotated_at);
      throw new ServiceUnavailableException(`the secret of ${id} was not rotated: ${error.message}`);
    }
    await this.directory.announceChange(id, 'credentials');
    await this.audit.record({ actorId: user.id, action: 'device.secret_rotated', subjectType: 'device', subjectId: id });
    return { ...mapDevice(row), secret };
  }

  async setDisabled(user: AuthUser, id: string, disabled: boolean): Promise<DeviceResponse> {
    await this.requireDevice(user, id);
    const row = await this.devices.setDisabled(id, disabled);
    if (!row) throw new NotFoundException(`device ${id} not found`);
    await this.directory.announceChange(id, 'credentials');
    await this.brokerRegistry.statusChanged(id, disabled);
    await this.audit.record({ actorId: user.id, action: disabled ? 'device.disabled' : 'device.enabled', subjectType: 'device', subjectId: id });
    return mapDevice(row);
  }
}
