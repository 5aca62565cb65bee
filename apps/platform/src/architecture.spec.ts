import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Rules of the code base that the type checker cannot see (guide: "Rules of the code base").
const root = __dirname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe('outside systems stay behind their repository', () => {
  it('no service, controller or domain file reaches the raw Redis client', () => {
    const offenders = ['services', 'controllers', 'domain'].flatMap(sources).filter((file) => /\bredis\.(client|duplicate)\b/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('Redis keys are built only in redis-keys.ts (from the prefix the Redis repository hands it)', () => {
    const allowed = [join('config', 'config.ts'), join('repositories', 'redis.repository.ts')];
    const offenders = sources('.').filter((file) => !allowed.includes(file) && /redis\.prefix/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
