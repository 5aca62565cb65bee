import { writeToString } from '@fast-csv/format';
import { neutraliseCsvCell } from './csv';
import { issuesReason, type RawImportRow, wrongCellCount } from './csv-import';
import { type ImportUpload, readImportFile } from './import-file';
import {
  DEVICE_IMPORT_MAX_ROWS,
  deviceImportColumns,
  deviceImportRowSchema,
  type CreateDeviceRequest,
  type DeviceImportRejection,
  type DeviceImportResult,
} from '@app/contracts';

/** A row that passed validation: what `provision` would get for one device. */
export interface ValidImportRow {
  row: number;
  input: CreateDeviceRequest;
}

/**
 * Reads a CSV or XLSX import: a header naming columns of `deviceImportColumns` (in any order;
 * `name`, `kind` and, unless given for the whole import, `communityId` are needed, which
 * validation reports per row), then one device a row.
 */
export function parseDeviceFile(file: ImportUpload): Promise<RawImportRow[]> {
  return readImportFile(file, deviceImportColumns, [], DEVICE_IMPORT_MAX_ROWS);
}

/** Numbers the devices of a JSON import (an array of objects like a provisioning request). */
export function numberRows(devices: readonly unknown[]): RawImportRow[] {
  return devices.map((fields, i) => ({ row: i + 1, fields }));
}

/**
 * Validates every row with the provisioning schema (a `communityId` for the whole import fills
 * rows that name none) and rejects an id that an earlier row of the same import already uses.
 */
export function validateImportRows(rows: readonly RawImportRow[], defaultCommunityId?: string): { valid: ValidImportRow[]; rejected: DeviceImportRejection[] } {
  const valid: ValidImportRow[] = [];
  const rejected: DeviceImportRejection[] = [];
  const firstRowOfId = new Map<string, number>();
  for (const { row, fields } of rows) {
    const cells = wrongCellCount(fields);
    if (cells !== undefined) {
      rejected.push({ row, reason: `expected ${deviceImportColumns.length} cells or fewer matching the header, got ${cells}` });
      continue;
    }
    const withCommunity =
      defaultCommunityId && fields && typeof fields === 'object' && !(fields as { communityId?: unknown }).communityId
        ? { ...(fields as object), communityId: defaultCommunityId }
        : fields;
    const parsed = deviceImportRowSchema.safeParse(withCommunity);
    const id = typeof (fields as { id?: unknown } | null)?.id === 'string' ? ((fields as { id: string }).id || undefined) : undefined;
    if (!parsed.success) {
      rejected.push({ row, ...(id ? { id } : {}), reason: issuesReason(parsed.error) });
      continue;
    }
    const input = parsed.data;
    if (input.id !== undefined) {
      const first = firstRowOfId.get(input.id);
      if (first !== undefined) {
        rejected.push({ row, id: input.id, reason: `duplicate: device id ${input.id} is already on row ${first} of this import` });
        continue;
      }
      firstRowOfId.set(input.id, row);
    }
    valid.push({ row, input });
  }
  return { valid, rejected };
}

export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** The outcome as CSV, one line per input row in row order: created devices with their secret, rejected rows with the reason. */
export function importResultCsv(result: DeviceImportResult): Promise<string> {
  const lines: Array<Record<string, string | number>> = [
    ...result.devices.map((d) => ({
      row: d.row,
      status: 'created',
      id: d.id,
      communityId: d.communityId,
      kind: d.kind,
      subtype: d.subtype ?? '',
      name: d.name,
      secret: d.secret,
      reason: '',
    })),
    ...result.rejected.map((r) => ({ row: r.row, status: 'rejected', id: r.id ?? '', communityId: '', kind: '', subtype: '', name: '', secret: '', reason: r.reason })),
  ].sort((a, b) => Number(a.row) - Number(b.row));
  // Names and reasons echo what the uploader sent: neutralised before they reach a spreadsheet.
  const safe = lines.map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, typeof v === 'string' ? neutraliseCsvCell(v) : v])));
  return writeToString(safe, { headers: ['row', 'status', 'id', 'communityId', 'kind', 'subtype', 'name', 'secret', 'reason'], writeHeaders: true });
}
