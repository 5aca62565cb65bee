import { PayloadTooLargeException } from '@nestjs/common';
import type { Request } from 'express';
import type { ImportUpload } from '../domain/import-file';

/**
 * An import file sent as the request body (text/csv or the .xlsx type; the platform's body
 * parsers take JSON only), or as multipart field `file` (`upload`, its size capped by multer).
 */
export async function importUpload(req: Request, upload: { buffer: Buffer; mimetype?: string } | undefined, maxBytes: number): Promise<ImportUpload> {
  if (upload) return { content: upload.buffer, contentType: upload.mimetype };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new PayloadTooLargeException(`an import file may have at most ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return { content: Buffer.concat(chunks), contentType: req.headers['content-type'] };
}
