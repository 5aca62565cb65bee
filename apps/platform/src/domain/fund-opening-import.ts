import { FUND_OPENING_MAX_ROWS, fundOpeningColumns, fundOpeningRowSchema, type UnitImportRejection } from '@app/contracts';
import { parseImportRow, type RawImportRow } from './csv-import';
import { yuanToFen } from './fund-account';
import { type ImportUpload, readImportFile } from './import-file';
import { unitKey } from './unit-import';

export interface ValidOpeningRow {
  row: number;
  unitId: string;
  fen: bigint;
}

/** Reads a community's opening balances (CSV or XLSX): building, number, balance (yuan), in any order. */
export function parseOpeningFile(file: ImportUpload): Promise<RawImportRow[]> {
  return readImportFile(file, fundOpeningColumns, fundOpeningColumns, FUND_OPENING_MAX_ROWS);
}

/**
 * Checks every row against the community's units: the unit must exist, appear once in the file
 * and not have an opening balance already (an account opens once; later money is a deposit).
 * `units` maps unitKey(building, number) to the unit id.
 */
export function validateOpeningRows(rows: readonly RawImportRow[], units: ReadonlyMap<string, string>, opened: ReadonlySet<string>): { valid: ValidOpeningRow[]; rejected: UnitImportRejection[] } {
  const valid: ValidOpeningRow[] = [];
  const rejected: UnitImportRejection[] = [];
  const firstRow = new Map<string, number>();
  for (const raw of rows) {
    const data = parseImportRow(fundOpeningRowSchema, raw, rejected);
    if (data === undefined) continue;
    const { row } = raw;
    const { building, number, balance } = data;
    const unitId = units.get(unitKey(building, number));
    const first = firstRow.get(unitId ?? '');
    if (!unitId) rejected.push({ row, reason: `unknown unit: ${building} ${number} is not in this community` });
    else if (first !== undefined) rejected.push({ row, reason: `duplicate: ${building} ${number} is already on row ${first} of this import` });
    else if (opened.has(unitId)) rejected.push({ row, reason: `${building} ${number} already has an opening balance` });
    else {
      firstRow.set(unitId, row);
      valid.push({ row, unitId, fen: yuanToFen(balance) });
    }
  }
  return { valid, rejected };
}
