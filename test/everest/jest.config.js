// `npm run test:everest`: the module under EVerest's own manager, framework and Auth, from the
// install EVEREST_PREFIX names (docs/running-under-everest.md). Not part of `npm test`, which runs
// on any machine with mosquitto. Without EVEREST_PREFIX the run fails in globalSetup, saying why.
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/everest'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/everest/support/global-setup.ts',
  // Each test runs a manager with a handful of Node modules of its own: one file at a time on 2 cores.
  maxWorkers: 1,
  // A manager starts its modules in a few seconds; a busy machine may take many times that.
  testTimeout: 180000,
};
