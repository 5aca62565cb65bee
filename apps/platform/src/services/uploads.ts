import { HttpException } from '@nestjs/common';
import { checkEvidenceUpload } from '../domain/fund-evidence';
import type { FundFileRepository } from '../repositories/fund.repository';

/** A file as the multipart interceptor hands it over. */
export interface UploadedFileLike {
  originalname: string;
  mimetype: string;
  buffer: Buffer;
}

export interface StoredFile {
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * One uploaded photo or scan, checked like the fund's evidence (allow-listed types, checked
 * against the file's first bytes, at most maxEvidenceBytes) and kept in the uploads store by its
 * sha256. Refused files answer 400 / 413 / 415 as the fund's uploads do.
 */
export async function storeCheckedUpload(files: FundFileRepository, file: UploadedFileLike | undefined): Promise<StoredFile> {
  if (!file) throw new HttpException({ statusCode: 400, error: 'Bad Request', message: 'a multipart field "file" is required' }, 400);
  const check = checkEvidenceUpload(file.mimetype, file.buffer);
  if (!check.ok) throw new HttpException({ statusCode: check.status, error: check.status === 413 ? 'Payload Too Large' : check.status === 415 ? 'Unsupported Media Type' : 'Bad Request', message: check.message }, check.status);
  const stored = await files.store(file.buffer);
  return { fileName: file.originalname.slice(0, 255), contentType: check.contentType, sizeBytes: stored.size, sha256: stored.sha256 };
}

/** The columns of a stored attachment row (a photo, a scan): the file, who added it and when. */
export function attachmentColumns(stored: StoredFile, userId: string, at: Date) {
  return { file_name: stored.fileName, content_type: stored.contentType, size_bytes: stored.sizeBytes, sha256: stored.sha256, created_by: userId, created_at: at };
}

/** An attachment row's file, as the download routes send it. */
export async function readAttachment(files: FundFileRepository, row: { content_type: string; sha256: string; file_name: string }): Promise<{ contentType: string; content: Buffer; fileName: string }> {
  return { contentType: row.content_type, content: await files.read(row.sha256), fileName: row.file_name };
}
