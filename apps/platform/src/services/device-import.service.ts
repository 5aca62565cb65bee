import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { DEVICE_IMPORT_MAX_ROWS, deviceImportRequestSchema, type DeviceImportRejection, type DeviceImportResult } from '@app/contracts';
import { ImportFileError, type RawImportRow } from '../domain/csv-import';
import type { ImportUpload } from '../domain/import-file';
import { inBatches, numberRows, parseDeviceFile, validateImportRows, type ValidImportRow } from '../domain/device-import';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { AccessService } from './access.service';
import { BrokerRegistryService } from './broker-registry.service';
import type { AuthUser } from './auth-user';
import { DeviceDirectoryService } from './device-directory.service';
import { mapDevice } from './device.service';

export interface DeviceImportOptions {
  /** For rows that name no community. */
  communityId?: string;
  /** Rows per transaction. */
  batchSize: number;
  /** Called after each batch (the CLI prints progress). */
  onBatch?: (progress: { batch: number; batches: number; created: number; rejected: number }) => void;
}

/**
 * Bulk provisioning: the rules of provisioning one device (role, community scope, building of
 * the community, free id), applied to a whole file and stored one transaction per batch, so a
 * batch is created whole or not at all. Rejected rows are reported with their number and reason;
 * the secrets of created devices are returned once and stored only as hashes.
 */
@Injectable()
export class DeviceImportService {
  private readonly logger = new Logger(DeviceImportService.name);

  constructor(
    private readonly devices: DeviceRepository,
    private readonly communities: CommunityRepository,
    private readonly directory: DeviceDirectoryService,
    private readonly access: AccessService,
    private readonly crypto: CryptoRepository,
    private readonly clock: ClockRepository,
    private readonly brokerRegistry: BrokerRegistryService,
  ) {}

  /** An import file as sent: a CSV or XLSX file, or the JSON form `{ communityId?, devices: [...] }`. */
  async importFile(user: AuthUser, file: { table: ImportUpload } | { json: unknown }, options: DeviceImportOptions): Promise<DeviceImportResult> {
    if ('table' in file) {
      const rows = await parseDeviceFile(file.table).catch((error: unknown) => {
        throw error instanceof ImportFileError ? new BadRequestException(error.message) : error;
      });
      return this.import(user, rows, options);
    }
    const parsed = deviceImportRequestSchema.safeParse(file.json);
    if (!parsed.success) throw new BadRequestException(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
    return this.import(user, numberRows(parsed.data.devices), { ...options, communityId: options.communityId ?? parsed.data.communityId });
  }

  async import(user: AuthUser, rows: readonly RawImportRow[], options: DeviceImportOptions): Promise<DeviceImportResult> {
    if (rows.length === 0) throw new BadRequestException('the import holds no devices');
    if (rows.length > DEVICE_IMPORT_MAX_ROWS) throw new BadRequestException(`an import takes at most ${DEVICE_IMPORT_MAX_ROWS} devices, this one has ${rows.length}`);
    if (options.communityId) await this.access.requireInScope(user, options.communityId);
    const started = this.clock.monotonic();
    const { valid, rejected } = validateImportRows(rows, options.communityId);
    const placed = await this.rejectOutOfPlace(user, valid, rejected);
    const fresh = await this.rejectTaken(placed, rejected);

    const result: DeviceImportResult = { rows: rows.length, created: 0, rejected, devices: [], batches: { total: 0, failed: 0, size: options.batchSize }, elapsedMs: 0 };
    const batches = inBatches(fresh, options.batchSize);
    result.batches.total = batches.length;
    for (const [index, batch] of batches.entries()) {
      await this.importBatch(user, batch, index, result);
      options.onBatch?.({ batch: index + 1, batches: batches.length, created: result.created, rejected: result.rejected.length });
    }
    result.rejected.sort((a, b) => a.row - b.row);
    result.devices.sort((a, b) => a.row - b.row);
    result.elapsedMs = Math.round(this.clock.monotonic() - started);
    this.logger.log(`${user.username} imported ${result.created} of ${result.rows} devices in ${result.elapsedMs} ms (${result.rejected.length} rejected)`);
    return result;
  }

  /** Rows whose community the user cannot reach (reported as not found, as everywhere) or whose building is not in it. */
  private async rejectOutOfPlace(user: AuthUser, rows: ValidImportRow[], rejected: DeviceImportRejection[]): Promise<ValidImportRow[]> {
    const reachable = new Map<string, boolean>();
    const buildings = new Map<string, Set<string>>();
    const kept: ValidImportRow[] = [];
    for (const r of rows) {
      const { communityId, buildingId, id } = r.input;
      if (!reachable.has(communityId)) {
        reachable.set(communityId, await this.access.requireInScope(user, communityId).then(() => true, () => false));
      }
      if (!reachable.get(communityId)) {
        rejected.push({ row: r.row, ...(id ? { id } : {}), reason: `community ${communityId} not found` });
        continue;
      }
      if (buildingId) {
        if (!buildings.has(communityId)) buildings.set(communityId, new Set((await this.communities.buildingsWithUnits(communityId)).buildings.map((b) => b.id)));
        if (!buildings.get(communityId)!.has(buildingId)) {
          rejected.push({ row: r.row, ...(id ? { id } : {}), reason: `building ${buildingId} is not in community ${communityId}` });
          continue;
        }
      }
      kept.push(r);
    }
    return kept;
  }

  /** Rows whose id is registered already. */
  private async rejectTaken(rows: ValidImportRow[], rejected: DeviceImportRejection[]): Promise<ValidImportRow[]> {
    const taken = await this.devices.existingIds(rows.flatMap((r) => (r.input.id ? [r.input.id] : [])));
    return rows.filter((r) => {
      if (!r.input.id || !taken.has(r.input.id)) return true;
      rejected.push({ row: r.row, id: r.input.id, reason: `duplicate: device id ${r.input.id} is taken` });
      return false;
    });
  }

  /**
   * Hashes the batch's secrets, then stores it in one transaction. An id taken meanwhile by
   * someone else rolls the batch back; it is then stored once more without the taken ids. Any
   * other failure rejects the whole batch, with the reason, and the import goes on.
   */
  private async importBatch(user: AuthUser, batch: ValidImportRow[], index: number, result: DeviceImportResult): Promise<void> {
    const prepared = batch.map((r) => ({ ...r, id: r.input.id ?? `${r.input.kind}-${this.crypto.randomId(6)}`, secret: this.crypto.newSecret() }));
    let pending = prepared.map((p) => ({ ...p, hash: this.crypto.hashDeviceSecret(p.secret) }));
    for (let attempt = 0; ; attempt++) {
      try {
        const rows = await this.devices.insertBatch(
          pending.map((p) => ({
            id: p.id,
            community_id: p.input.communityId,
            kind: p.input.kind,
            subtype: p.input.subtype ?? null,
            name: p.input.name,
            location: p.input.location ?? null,
            building_id: p.input.buildingId ?? null,
            secret_hash: p.hash,
          })),
          {
            actorId: user.id,
            action: 'device.imported',
            subjectType: 'device_import',
            subjectId: `${pending[0].id}…${pending[pending.length - 1].id}`,
            detail: { batch: index + 1, count: pending.length, firstRow: pending[0].row, ids: pending.map((p) => p.id) },
          },
        );
        const byId = new Map(pending.map((p) => [p.id, p]));
        // As for one device: the secrets exist only in this answer, so a device the external
        // broker could not take is not provisioned.
        const refused = await this.brokerRegistry.devicesCreated(rows.map((row) => ({ id: row.id, secret: byId.get(row.id)!.secret })));
        for (const row of rows) {
          const p = byId.get(row.id)!;
          const reason = refused.get(row.id);
          if (reason) {
            await this.devices.delete(row.id);
            result.rejected.push({ row: p.row, id: row.id, reason: `the MQTT broker did not take its credentials: ${reason}` });
            continue;
          }
          result.devices.push({ ...mapDevice(row), row: p.row, secret: p.secret });
          result.created++;
        }
        // A device that tried to connect before it existed may be cached as unknown.
        await Promise.all(rows.map((row) => this.directory.announceChange(row.id, 'created').catch(() => undefined)));
        return;
      } catch (error) {
        if (attempt === 0 && isUniqueViolation(error)) {
          const taken = await this.devices.existingIds(pending.map((p) => p.id));
          const stillFree = pending.filter((p) => !taken.has(p.id));
          for (const p of pending) if (taken.has(p.id)) result.rejected.push({ row: p.row, id: p.id, reason: `duplicate: device id ${p.id} is taken` });
          if (stillFree.length < pending.length) {
            pending = stillFree;
            if (pending.length === 0) return;
            continue;
          }
        }
        const message = (error as Error).message;
        this.logger.warn(`import batch ${index + 1} (rows ${pending[0].row}–${pending[pending.length - 1].row}) rolled back: ${message}`);
        result.batches.failed++;
        for (const p of pending) result.rejected.push({ row: p.row, id: p.id, reason: `batch ${index + 1} rolled back, nothing of it was stored: ${message}` });
        return;
      }
    }
  }
}
