import { parseString } from '@fast-csv/parse';
import { unitImportColumns, unitImportRowSchema, type UnitImportRejection, type UnitImportRow } from '@app/contracts';
import { ImportFileError, type RawImportRow } from './device-import';

/** A row that passed validation, with its 1-based data-row number. */
export interface ValidUnitRow {
  row: number;
  input: UnitImportRow;
}

/**
 * Reads an estate's unit list (CSV, Excel's BOM allowed): a header naming columns of
 * `unitImportColumns` in any order, then one unit a line. As for devices (device-import.ts), a
 * line with the wrong number of cells is kept as a row that fails, so it is reported by number.
 */
export function parseUnitCsv(text: string): Promise<RawImportRow[]> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return new Promise((resolve, reject) => {
    const rows: RawImportRow[] = [];
    let n = 0;
    let headerError: string | undefined;
    parseString(body, {
      headers: (headers) => {
        const names = headers.map((h) => (h ?? '').trim());
        const unknown = names.filter((h) => !(unitImportColumns as readonly string[]).includes(h));
        const missing = ['building', 'number', 'floorArea'].filter((c) => !names.includes(c));
        if (unknown.length > 0) headerError = `unknown column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}; expected ${unitImportColumns.join(',')}`;
        else if (missing.length > 0) headerError = `missing column(s) ${missing.join(', ')}`;
        return names;
      },
      ignoreEmpty: true,
      trim: true,
      strictColumnHandling: true,
    })
      .on('data', (fields: Record<string, string>) => rows.push({ row: ++n, fields }))
      .on('data-invalid', (cells: unknown) => rows.push({ row: ++n, fields: { __cells: Array.isArray(cells) ? cells.length : 0 } }))
      .on('error', (error: Error) => reject(new ImportFileError(`not a readable CSV file: ${error.message}`)))
      .on('end', () => (headerError ? reject(new ImportFileError(headerError)) : resolve(rows)));
  });
}

/** The key of a unit within its community: building name and unit number. */
export const unitKey = (building: string, number: string) => `${building}\u0000${number}`;

/** Validates every row and rejects a unit (building + number) that an earlier row already lists. */
export function validateUnitRows(rows: readonly RawImportRow[]): { valid: ValidUnitRow[]; rejected: UnitImportRejection[] } {
  const valid: ValidUnitRow[] = [];
  const rejected: UnitImportRejection[] = [];
  const firstRow = new Map<string, number>();
  for (const { row, fields } of rows) {
    const cells = (fields as { __cells?: number } | null)?.__cells;
    if (cells !== undefined) {
      rejected.push({ row, reason: `expected the cells of the header, got ${cells}` });
      continue;
    }
    const parsed = unitImportRowSchema.safeParse(fields);
    if (!parsed.success) {
      rejected.push({ row, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') });
      continue;
    }
    const key = unitKey(parsed.data.building, parsed.data.number);
    const first = firstRow.get(key);
    if (first !== undefined) {
      rejected.push({ row, reason: `duplicate: ${parsed.data.building} ${parsed.data.number} is already on row ${first} of this import` });
      continue;
    }
    firstRow.set(key, row);
    valid.push({ row, input: parsed.data });
  }
  return { valid, rejected };
}
