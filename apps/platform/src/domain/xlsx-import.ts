import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { headerProblem, ImportFileError, type RawImportRow } from './csv-import';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What the archive may inflate to in all: a 50,000-row sheet is about 20 MiB of XML. */
export const XLSX_MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** What any other XML part (styles, theme, workbook, comments) may inflate to: Excel's are kilobytes. */
export const XLSX_MAX_PART_BYTES = 4 * 1024 * 1024;

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
/** OLE2 compound file: a legacy .xls, or an .xlsx saved with a password (encrypted). */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export const looksLikeXlsx = (content: Buffer) => content.subarray(0, 4).equals(ZIP_MAGIC);
export const looksLikeOle = (content: Buffer) => content.subarray(0, 8).equals(OLE_MAGIC);

/**
 * Reads the first worksheet of an .xlsx file like readImportCsv reads a CSV: the first non-empty
 * row is the header (the same column names), each later non-empty row is a record numbered as
 * its distance from the header (so the first data row is 1, as in a CSV, and a rejected row is
 * found in the sheet at its number plus the header's row). Cells are given as the text the sheet
 * shows: numbers to Excel's 15 digits, formulas by their result, dates as YYYY-MM-DD, rich text
 * joined. A value right of the header's last column keeps the row as a wrong-cell-count row.
 *
 * Before ExcelJS (which holds the whole workbook in memory) sees the file, the archive is
 * inflated once with a budget and its cells and shared strings counted, so a small upload cannot
 * unpack into gigabytes or millions of objects: at most about twice the cells of `maxRows` full rows.
 */
export async function readImportXlsx(content: Buffer, columns: readonly string[], required: readonly string[], maxRows: number): Promise<RawImportRow[]> {
  if (!looksLikeXlsx(content)) throw new ImportFileError('not an XLSX file (an .xlsx is a zip archive; save the sheet as "Excel Workbook (.xlsx)")');
  const counted = await inflateWithBudget(content, XLSX_MAX_INFLATED_BYTES);
  const maxCells = 2 * (maxRows + 1) * columns.length;
  if (counted.rows > 2 * (maxRows + 1) || counted.cells > maxCells || counted.strings > maxCells) {
    throw new ImportFileError(`the workbook is too large: an import takes at most ${maxRows} rows of the columns ${columns.join(',')}`);
  }
  const workbook = new ExcelJS.Workbook();
  try {
    // ExcelJS types its input as an ArrayBuffer; it takes a Node Buffer as well (JSZip does).
    await workbook.xlsx.load(content as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new ImportFileError(`not a readable XLSX file: ${(error as Error).message}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new ImportFileError('the workbook has no worksheet');

  const rows: RawImportRow[] = [];
  let header: { row: number; names: string[] } | undefined;
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    const width = cells.reduce((last, text, i) => (text ? i + 1 : last), 0);
    if (width === 0) return;
    if (!header) {
      header = { row: rowNumber, names: Array.from({ length: width }, (_, i) => cells[i] ?? '') };
      return;
    }
    const names = header.names;
    const fields = width > names.length ? { __cells: width } : Object.fromEntries(names.map((name, i) => [name, cells[i] ?? '']));
    rows.push({ row: rowNumber - header.row, fields });
  });
  if (!header) throw new ImportFileError(`the first worksheet is empty: it needs a header row naming the columns ${columns.join(',')}`);
  const problem = headerProblem(header.names, columns, required);
  if (problem) throw new ImportFileError(`${problem} (header on row ${header.row} of worksheet "${sheet.name}")`);
  return rows;
}

/** The text a cell shows, trimmed like a CSV cell. */
export function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(Number(value.toPrecision(15)));
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return sheetDate(value);
  if ('richText' in value) return value.richText.map((r) => r.text).join('').trim();
  if ('formula' in value || 'sharedFormula' in value) return cellText(value.result);
  if ('error' in value) return value.error;
  if ('hyperlink' in value) return cellText(value.text as ExcelJS.CellValue);
  return '';
}

/** A sheet's date as it reads (ExcelJS gives its wall time as UTC): the day, with the time if it has one. */
function sheetDate(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
}

/**
 * Inflates every entry of the zip archive, throwing once they unpack to more than `budget`
 * bytes or a part other than a worksheet, the shared strings or an image to more than
 * XLSX_MAX_PART_BYTES, and counts the row, cell and shared-string tags. The archive is opened with
 * JSZip as ExcelJS opens it (loadAsync reads the directory and inflates nothing), so the count
 * walks the very entries ExcelJS reads. Parts are told apart with ExcelJS's own (unanchored)
 * name patterns, and tags are counted in every part, so no name makes ExcelJS read a part the
 * count skipped.
 */
async function inflateWithBudget(content: Buffer, budget: number): Promise<{ rows: number; cells: number; strings: number }> {
  const damaged = () => new ImportFileError('not a readable XLSX file: damaged zip archive');
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(content);
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith('Encrypted zip')) throw new ImportFileError('the workbook is encrypted: save it without a password');
    if (/compression .* unknown/.test(message)) throw new ImportFileError('not a readable XLSX file: zip compression method is not supported (only stored or deflated)');
    throw damaged();
  }
  let inflated = 0;
  const counted = { rows: 0, cells: 0, strings: 0 };
  for (const file of Object.values(zip.files)) {
    if (file.dir) continue;
    const name = file.name;
    const capped = !/xl\/worksheets\/sheet\d+[.]xml|xl\/media\//.test(name) && name !== 'xl/sharedStrings.xml';
    let partBytes = 0;
    let tail = '';
    // JSZip's stream is an old-style one; wrapped, breaking out of the loop stops the inflating.
    const chunks = new Readable().wrap(file.nodeStream('nodebuffer'));
    try {
      for await (const chunk of chunks as AsyncIterable<Buffer>) {
        inflated += chunk.length;
        partBytes += chunk.length;
        if (inflated > budget) throw new ImportFileError(`the workbook is too large: it unpacks to more than ${budget / 1024 / 1024} MiB`);
        if (capped && partBytes > XLSX_MAX_PART_BYTES) throw new ImportFileError(`the workbook is too large: its part ${JSON.stringify(name.slice(0, 80))} unpacks to more than ${XLSX_MAX_PART_BYTES / 1024 / 1024} MiB`);
        // Tags split across two chunks are counted once: those wholly in the carried tail were counted before.
        const text = tail + chunk.toString('latin1');
        counted.rows += countTags(text, ROW_TAG) - countTags(tail, ROW_TAG);
        counted.cells += countTags(text, CELL_TAG) - countTags(tail, CELL_TAG);
        counted.strings += countTags(text, STRING_TAG) - countTags(tail, STRING_TAG);
        tail = text.slice(-4);
      }
    } catch (error) {
      throw error instanceof ImportFileError ? error : damaged();
    }
  }
  return counted;
}

const ROW_TAG = /<row[\s/>]/g;
const CELL_TAG = /<c[\s/>]/g;
const STRING_TAG = /<si[\s/>]/g;
const countTags = (text: string, tag: RegExp) => text.match(tag)?.length ?? 0;
