import type { PlatformConfig } from '../config/config';
import { billSessionJob, jobCatalogue, type JobDefinition } from './job-catalogue';
import { JobRepository } from './job.repository';
import type { RedisRepository } from './redis.repository';
import type { ClockRepository } from './clock.repository';
import type { WorkflowStepRepository } from './workflow-step.repository';

// Start-up checks of the job catalogue (no Redis: queues and workers are created only when used,
// workers only with the `worker` role).
const config = { roles: new Set(['api']), redis: { prefix: 'spp-test' } } as unknown as PlatformConfig;
const redis = {} as RedisRepository;
const newJobRepository = () => new JobRepository(config, redis, {} as WorkflowStepRepository, {} as ClockRepository);
const handler = () => Promise.resolve();

function repositoryHandling(definitions: ReadonlyArray<JobDefinition<unknown>>): JobRepository {
  const jobs = newJobRepository();
  for (const definition of definitions) jobs.handle(definition, handler);
  return jobs;
}

describe('job catalogue', () => {
  it('names each job once', () => {
    const names = jobCatalogue.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('starts when every job has exactly one handler', () => {
    expect(() => repositoryHandling(jobCatalogue).onApplicationBootstrap()).not.toThrow();
  });

  it('refuses to start when a job has no handler', () => {
    const jobs = repositoryHandling(jobCatalogue.filter((d) => d !== billSessionJob));
    expect(() => jobs.onApplicationBootstrap()).toThrow(`jobs without a handler: ${billSessionJob.name}`);
  });

  it('refuses a second handler of a job', () => {
    const jobs = repositoryHandling(jobCatalogue);
    expect(() => jobs.handle(billSessionJob, handler)).toThrow(`job ${billSessionJob.name} has two handlers`);
  });

  it('refuses a handler of a job that is not in the catalogue', () => {
    const stray = { ...billSessionJob };
    expect(() => newJobRepository().handle(stray, handler)).toThrow('not in the job catalogue');
  });
});
