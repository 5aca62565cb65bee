import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

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

// Layers, from the top: start-up (app.module, wiring, bootstrap, cli, modules/) ← controllers and
// middleware ← services ← repositories and domain. libs/contracts stands apart (used by all).
const top = ['modules', 'app.module.ts', 'wiring.ts', 'bootstrap.ts', 'main.ts', 'cli.ts'];
const forbidden: Record<string, string[]> = {
  controllers: top,
  middleware: top,
  services: [...top, 'controllers', 'middleware'],
  repositories: [...top, 'controllers', 'middleware', 'services'],
  domain: [...top, 'controllers', 'middleware', 'services', 'repositories', 'config', 'migrations'],
};

/** The first folder (or file) under src/ of each relative import of a file. */
function importedAreas(file: string, base = root): Array<{ specifier: string; target: string }> {
  const text = readFileSync(join(base, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((specifier) => ({ specifier, target: relative(base, resolve(dirname(join(base, file)), specifier)) }));
}

describe('nothing imports upwards', () => {
  it.each(Object.keys(forbidden))('%s imports no layer above it', (layer) => {
    const offenders = sources(layer).flatMap((file) =>
      importedAreas(file)
        .filter(({ target }) => forbidden[layer].some((area) => target === area || target.startsWith(`${area}${sep}`) || target === area.replace(/\.ts$/, '')))
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('libs/contracts imports nothing of the platform', () => {
    const contracts = resolve(root, '..', '..', '..', 'libs', 'contracts', 'src');
    const files = readdirSync(contracts, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const offenders = files.flatMap((file) => importedAreas(file, contracts).filter(({ target }) => target.startsWith('..')).map(({ specifier }) => `${file} imports ${specifier}`));
    expect(offenders).toEqual([]);
  });
});
