// Temporary config for the simulator suite until the project-level jest config exists:
//   npx jest -c test/simulator/jest.config.js
// ts-jest transpiles only (isolatedModules; `tsc --noEmit` type-checks): with "module": "node16"
// ts-jest requires it, and it keeps the suite fast.
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/simulator'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/simulator/tsconfig.jest.json' }] },
  testTimeout: 30000,
};
