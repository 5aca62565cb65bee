/**
 * CSV files the platform writes (statistics scorecards, billing statements, device import
 * results), pure. Text that came from users or devices (a device or community name, a plate) could
 * start a spreadsheet formula such as =HYPERLINK(…) when opened in Excel or WPS: a text cell
 * starting with = + - @, tab or carriage return is prefixed with ' so it shows as text (OWASP
 * "CSV Injection"). Numbers, and text that is just a number ("-12.50"), are left as they are.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** The cell's text made safe to open in a spreadsheet. */
export function neutraliseCsvCell(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/** One RFC 4180 field: null/undefined empty, text neutralised, quoted when it holds a quote, comma or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? neutraliseCsvCell(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with CRLF line ends: the header, then each row. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
