import { Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { WorkflowStepTable } from './database.schema';

export type WorkflowStepRow = Selectable<WorkflowStepTable>;

/** Deadlines kept in PostgreSQL (migrations/0009): the source of truth the BullMQ jobs are re-created from. */
@Injectable()
export class WorkflowStepRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  /** Records a step; a step already recorded under that job id stays as it is (same step, scheduled twice). */
  async record(step: { jobId: string; name: string; data: unknown; dueAt: Date; priority?: number }): Promise<void> {
    await this.db
      .insertInto('workflow_steps')
      .values({ job_id: step.jobId, name: step.name, data: JSON.stringify(step.data), due_at: step.dueAt, priority: step.priority ?? null, done_at: null, outcome: null })
      .onConflict((oc) => oc.column('job_id').doNothing())
      .execute();
  }

  async find(jobId: string): Promise<WorkflowStepRow | undefined> {
    return this.db.selectFrom('workflow_steps').selectAll().where('job_id', '=', jobId).executeTakeFirst();
  }

  /** Marks pending steps done or cancelled; returns the job ids that were still pending. */
  async finish(jobIds: string[], outcome: 'done' | 'cancelled', at: Date): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const rows = await this.db
      .updateTable('workflow_steps')
      .set({ done_at: at, outcome })
      .where('job_id', 'in', jobIds)
      .where('done_at', 'is', null)
      .returning('job_id')
      .execute();
    return rows.map((r) => r.job_id);
  }

  /** Pending steps, the earliest due first. */
  async pending(limit: number, afterJobId = ''): Promise<WorkflowStepRow[]> {
    return this.db
      .selectFrom('workflow_steps')
      .selectAll()
      .where('done_at', 'is', null)
      .where('job_id', '>', afterJobId)
      .orderBy('job_id')
      .limit(limit)
      .execute();
  }
}
