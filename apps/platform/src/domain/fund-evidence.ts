/**
 * Evidence uploads of a fund case: an allow-list of content types, each checked against the
 * file's first bytes so a renamed executable is not stored as a "photo". Pure.
 */
export const maxEvidenceBytes = 10 * 1024 * 1024;

const signatures: Record<string, (head: Buffer) => boolean> = {
  'image/jpeg': (h) => h.length >= 3 && h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff,
  'image/png': (h) => h.length >= 8 && h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (h) => h.length >= 12 && h.subarray(0, 4).toString('latin1') === 'RIFF' && h.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/pdf': (h) => h.length >= 5 && h.subarray(0, 5).toString('latin1') === '%PDF-',
};

export const allowedEvidenceTypes = Object.keys(signatures);

export type EvidenceCheck = { ok: true; contentType: string } | { ok: false; status: 400 | 413 | 415; message: string };

export function checkEvidenceUpload(contentType: string | undefined, content: Buffer, maxBytes = maxEvidenceBytes): EvidenceCheck {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (content.length === 0) return { ok: false, status: 400, message: 'the file is empty' };
  if (content.length > maxBytes) return { ok: false, status: 413, message: `the file is larger than ${maxBytes} bytes` };
  const matches = signatures[type];
  if (!matches) return { ok: false, status: 415, message: `content type ${type || '(none)'} is not allowed (allowed: ${allowedEvidenceTypes.join(', ')})` };
  if (!matches(content)) return { ok: false, status: 415, message: `the file's content is not ${type}` };
  return { ok: true, contentType: type };
}
