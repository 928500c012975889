// Nest 12 ships ES modules only: jest on Node 20 must transform them (and @swc/jest
// handles `import.meta.url`, which ts-jest does not).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // openapi-typescript (the typed client's generator, which a test runs) requires ES-only packages too.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|load-esm|uid|openapi-typescript|parse-json|index-to-position|change-case|supports-color)/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
