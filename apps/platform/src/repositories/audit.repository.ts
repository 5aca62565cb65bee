import { Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  detail?: Record<string, unknown>;
}

/** Who did what to which record, and when. Append only. */
@Injectable()
export class AuditRepository {
  constructor(private readonly database: DatabaseRepository) {}

  /** `db`: a transaction, to record a step together with the write it audits. */
  async record(entry: AuditEntry, db: Transaction<Database> | DatabaseRepository['db'] = this.database.db): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        actor_id: entry.actorId,
        action: entry.action,
        subject_type: entry.subjectType,
        subject_id: entry.subjectId,
        detail: JSON.stringify(entry.detail ?? {}),
      })
      .execute();
  }

  async forSubject(subjectType: string, subjectId: string) {
    return this.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_type', '=', subjectType)
      .where('subject_id', '=', subjectId)
      .orderBy('at')
      .orderBy('id')
      .execute();
  }
}
