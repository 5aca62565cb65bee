/**
 * PGlite's CommonJS build loads parts of itself with dynamic `import()` ("fs/promises", "module"),
 * which code running inside jest's module sandbox may only do with
 * `node --experimental-vm-modules`; without it PGlite fails with
 * "A dynamic import callback was invoked without --experimental-vm-modules".
 *
 * Import this module FIRST in a test file (before anything that loads the platform): it makes
 * `@electric-sql/pglite` resolve to a copy loaded by Node's own loader, outside the sandbox,
 * where dynamic import works. Nothing else changes for the code under test.
 */
import SandboxModule, { type createRequire as CreateRequire } from 'node:module';

// Inside the sandbox `module.createRequire` is jest's own; jest's Module class extends Node's real
// one, whose static createRequire gives a require that loads outside the sandbox.
const NodeModule = Object.getPrototypeOf(SandboxModule.Module) as { createRequire?: typeof CreateRequire } | undefined;
if (typeof NodeModule?.createRequire !== 'function' || NodeModule.createRequire === SandboxModule.createRequire) {
  throw new Error("native-pglite: cannot reach Node's own module loader");
}
const nativeRequire = NodeModule.createRequire(__filename);

/**
 * The native copy lives in Node's main realm, so a Date made inside the sandbox is not
 * `instanceof Date` there and PGlite's serializer refuses it ("Invalid input for date type").
 * Query parameters are therefore handed over as ISO strings, which PostgreSQL parses the same way.
 */
jest.doMock('@electric-sql/pglite', () => {
  const native = nativeRequire('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const crossRealm = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
  class PGlite extends native.PGlite {
    override query<T>(query: string, params?: unknown[], options?: Parameters<typeof native.PGlite.prototype.query>[2]) {
      return super.query<T>(query, params?.map(crossRealm), options);
    }
  }
  return { ...native, PGlite };
});

export {};
