import { ImportFileError, type RawImportRow, readImportCsv } from './csv-import';
import { looksLikeOle, looksLikeXlsx, readImportXlsx, XLSX_CONTENT_TYPE } from './xlsx-import';

/** An uploaded import file: its bytes and, when the sender declared one, its content type. */
export interface ImportUpload {
  content: Buffer;
  contentType?: string;
}

/**
 * The one reader of tabular imports: an .xlsx (declared as such, or a zip archive by its first
 * bytes, as browsers often send octet-stream) goes to readImportXlsx, anything else is CSV text.
 * Both give the same rows for the same sheet, numbered from the first data row.
 */
export function readImportFile(file: ImportUpload, columns: readonly string[], required: readonly string[], maxRows: number): Promise<RawImportRow[]> {
  if (looksLikeOle(file.content)) return Promise.reject(new ImportFileError('a legacy .xls or a password-protected workbook: save it as "Excel Workbook (.xlsx)" without a password, or as CSV'));
  const declared = file.contentType?.split(';')[0].trim().toLowerCase();
  if (declared === XLSX_CONTENT_TYPE || looksLikeXlsx(file.content)) return readImportXlsx(file.content, columns, required, maxRows);
  return readImportCsv(file.content.toString('utf8'), columns, required);
}
