/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/everest needs an EVerest install: `npm run test:everest` runs it (its own jest config).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/everest/'],
  // Integration tests start their own mosquitto and module processes; two workers fit 2 cores.
  maxWorkers: 2,
  // A worker that ran many files grows to ~300 MB and then took longer than jest's 500 ms to exit
  // ("failed to exit gracefully", though nothing was left open): recycle such workers between files.
  workerIdleMemoryLimit: '256MB',
  testTimeout: 30000,
  // Each file is transpiled on its own (isolatedModules): the types are checked once for the whole
  // tree by `tsc --noEmit` before the tests (npm's pretest), where ts-jest checked them again per
  // file (2 minutes of the unit tests alone).
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
};
