// Temporary config for the simulator suite until the project-level jest config exists:
//   npx jest -c test/simulator/jest.config.js
module.exports = {
  rootDir: '../..',
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/simulator'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 30000,
};
