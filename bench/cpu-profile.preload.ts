import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { cpuProfilePath } from './support';

/**
 * Loaded with `node -r` into the platform by the ingestion benchmark (--cpu-prof): the first
 * SIGWINCH starts the V8 CPU profiler, the second writes <tmpdir>/spp-platform-<pid>.cpuprofile.
 * Node's own --cpu-prof writes only on a normal exit, and the platform ends on SIGTERM; this also
 * leaves start-up and provisioning out of the profile. SIGWINCH because Nest's shutdown hooks take
 * SIGUSR2 and SIGUSR1 opens the inspector.
 */
const session = new Session();
let profiling = false;

process.on('SIGWINCH', () => {
  if (!profiling) {
    profiling = true;
    session.connect();
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  profiling = false;
  session.post('Profiler.stop', (error, result: Profiler.StopReturnType) => {
    if (!error) writeFileSync(cpuProfilePath(process.pid), JSON.stringify(result.profile));
    session.disconnect();
  });
});
