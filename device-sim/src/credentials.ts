import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DeviceKind, FireSubtype } from '@app/contracts';

/** One provisioned device as the simulator keeps it (the secret is shown only once by the platform). */
export interface DeviceCredential {
  id: string;
  secret: string;
  kind: DeviceKind;
  subtype?: FireSubtype | null;
  name?: string;
  location?: string | null;
  /** Simulator role, e.g. which model drives it. */
  role?: string;
}

export interface CredentialsFile {
  /** 'demo' | 'load' | 'bad-input' | 'manual' */
  purpose: string;
  api?: string;
  communityId?: string;
  communityName?: string;
  createdAt: string;
  devices: DeviceCredential[];
}

export const DEFAULT_DATA_DIR = './data';

export function credentialsPath(communityId: string, dataDir = DEFAULT_DATA_DIR): string {
  return join(dataDir, `sim-credentials-${communityId}.json`);
}

export function readCredentials(file: string): CredentialsFile {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  // Accept a bare array of devices too (hand-written files for a plain broker).
  const parsed = (Array.isArray(raw) ? { purpose: 'manual', createdAt: new Date(0).toISOString(), devices: raw } : raw) as CredentialsFile;
  if (!parsed || !Array.isArray(parsed.devices)) throw new Error(`${file}: expected {devices:[{id,secret,kind,…}]}`);
  for (const d of parsed.devices) {
    if (typeof d.id !== 'string' || typeof d.secret !== 'string') throw new Error(`${file}: every device needs id and secret`);
    d.kind ??= 'fire';
    if (d.kind === 'fire') d.subtype ??= 'hydrant_pressure';
  }
  return parsed;
}

/** Writes atomically with mode 0600: the file holds device secrets. */
export function writeCredentials(file: string, content: CredentialsFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** The most recent credentials file of a purpose made against this API, if any. */
export function findCredentials(purpose: string, api: string, dataDir = DEFAULT_DATA_DIR): string | undefined {
  if (!existsSync(dataDir)) return undefined;
  const candidates = readdirSync(dataDir)
    .filter((f) => f.startsWith('sim-credentials-') && f.endsWith('.json'))
    .map((f) => join(dataDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of candidates) {
    try {
      const c = readCredentials(file);
      if (c.purpose === purpose && c.api === api) return file;
    } catch {
      // ignore unreadable files
    }
  }
  return undefined;
}
