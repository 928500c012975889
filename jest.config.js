// Nest 12 ships ES modules only: jest on Node 20 must transform them (and @swc/jest
// handles `import.meta.url`, which ts-jest does not).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|load-esm|uid)/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
