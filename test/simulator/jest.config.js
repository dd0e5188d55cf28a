// Temporary config for the simulator suite until the project-level jest config exists:
//   npx jest -c test/simulator/jest.config.js
// isolatedModules: ts-jest only transpiles (tsc type-checks); "module": "node16" needs it.
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/simulator'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: { ignoreCodes: [151002] } }] },
  testTimeout: 30000,
};
