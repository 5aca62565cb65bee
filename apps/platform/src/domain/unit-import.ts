import { UNIT_IMPORT_MAX_ROWS, unitImportColumns, unitImportRowSchema, type UnitImportRejection, type UnitImportRow } from '@app/contracts';
import { parseImportRow, type RawImportRow } from './csv-import';
import { type ImportUpload, readImportFile } from './import-file';

/** A row that passed validation, with its 1-based data-row number. */
export interface ValidUnitRow {
  row: number;
  input: UnitImportRow;
}

/** Reads an estate's unit list (CSV or XLSX): a header naming columns of `unitImportColumns` in any order, then one unit a row. */
export function parseUnitFile(file: ImportUpload): Promise<RawImportRow[]> {
  return readImportFile(file, unitImportColumns, ['building', 'number', 'floorArea'], UNIT_IMPORT_MAX_ROWS);
}

/** The key of a unit within its community: building name and unit number. */
export const unitKey = (building: string, number: string) => `${building}\u0000${number}`;

/** Validates every row and rejects a unit (building + number) that an earlier row already lists. */
export function validateUnitRows(rows: readonly RawImportRow[]): { valid: ValidUnitRow[]; rejected: UnitImportRejection[] } {
  const valid: ValidUnitRow[] = [];
  const rejected: UnitImportRejection[] = [];
  const firstRow = new Map<string, number>();
  for (const raw of rows) {
    const data = parseImportRow(unitImportRowSchema, raw, rejected);
    if (data === undefined) continue;
    const { row } = raw;
    const key = unitKey(data.building, data.number);
    const first = firstRow.get(key);
    if (first !== undefined) {
      rejected.push({ row, reason: `duplicate: ${data.building} ${data.number} is already on row ${first} of this import` });
      continue;
    }
    firstRow.set(key, row);
    valid.push({ row, input: data });
  }
  return { valid, rejected };
}
