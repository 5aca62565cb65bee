// Two projects:
//   unit         *.spec.ts next to the code in apps/, libs/, device-sim/; no services.
//   integration  tests/**/*.e2e-spec.ts and tests/**/*.int-spec.ts; the global set-up starts the
//                test run's own Redis, InfluxDB, PostgreSQL and Mosquitto on their own ports
//                (tests/support/global-setup.ts) and stops them afterwards.
// `npm test` (scripts/test.sh) runs the unit project, then the integration project one file at a time.

/** @type {import('@swc/core').Config} */
const swcConfig = {
  // Do not read a .swcrc: this object is the whole configuration.
  swcrc: false,
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
};

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', swcConfig] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@app/contracts(.*)$': '<rootDir>/libs/contracts/src$1' },
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/data/', '<rootDir>/.tmp/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  watchPathIgnorePatterns: ['<rootDir>/data/', '<rootDir>/.tmp/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,device-sim}/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/**/*.e2e-spec.ts', '<rootDir>/tests/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.ts',
      globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
      // testTimeout is a global option in jest 29; tests/support/integration-setup.ts sets 120 s for this project only.
      setupFilesAfterEnv: ['<rootDir>/tests/support/integration-setup.ts'],
      slowTestThreshold: 20,
    },
  ],
};
