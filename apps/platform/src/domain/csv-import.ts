import { parseString } from '@fast-csv/parse';
import type { z } from 'zod';

/** A row of an import file before validation, with its 1-based data-row number. */
export interface RawImportRow {
  row: number;
  fields: unknown;
}

/** Thrown for a file that cannot be read as an import at all (no row could be numbered). */
export class ImportFileError extends Error {}

/**
 * Reads an import file in CSV (Excel's BOM allowed): a header naming some of `columns`, in any
 * order, with every one of `required`, then one record a line. Blank lines are skipped; a line
 * with the wrong number of cells is kept as a row that fails validation (`wrongCellCount`), so it
 * is reported with its number rather than silently dropped.
 */
export function readImportCsv(text: string, columns: readonly string[], required: readonly string[] = []): Promise<RawImportRow[]> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return new Promise((resolve, reject) => {
    const rows: RawImportRow[] = [];
    let n = 0;
    let headerError: string | undefined;
    parseString(body, {
      headers: (headers) => {
        const names = headers.map((h) => (h ?? '').trim());
        headerError = headerProblem(names, columns, required);
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

/** Why a header cannot be read (a column not in `columns`, one of `required` missing), else undefined. */
export function headerProblem(names: readonly string[], columns: readonly string[], required: readonly string[]): string | undefined {
  const unknown = names.filter((h) => !columns.includes(h));
  const missing = required.filter((c) => !names.includes(c));
  if (unknown.length > 0) return `unknown column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}; expected ${columns.join(',')}`;
  if (missing.length > 0) return `missing column(s) ${missing.join(', ')}`;
  return undefined;
}

/** The cell count of a line readImportCsv kept because it did not match the header, else undefined. */
export function wrongCellCount(fields: unknown): number | undefined {
  return (fields as { __cells?: number } | null)?.__cells;
}

/** A row's fields parsed by `schema`; or undefined, with why in `rejected` (a wrong cell count, the schema's issues). */
export function parseImportRow<T>(schema: z.ZodType<T>, { row, fields }: RawImportRow, rejected: Array<{ row: number; reason: string }>): T | undefined {
  const cells = wrongCellCount(fields);
  if (cells !== undefined) {
    rejected.push({ row, reason: `expected the cells of the header, got ${cells}` });
    return undefined;
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    rejected.push({ row, reason: issuesReason(parsed.error) });
    return undefined;
  }
  return parsed.data;
}

/** A rejected row's reason from its schema's issues: `path: message; …`. */
export function issuesReason(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
}
