const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  // file-type (the media type check) and its readers ship as ES modules only: compiled to CommonJS for jest.
  '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const esmOnly = {
  transformIgnorePatterns: ['/node_modules/(?!(file-type|strtok3|token-types|uint8array-extras|@tokenizer|@borewit)/)'],
  // Their `exports` offer only `import`: point jest's CommonJS resolver at the same files Node imports.
  moduleNameMapper: { '^file-type$': '<rootDir>/node_modules/file-type/index.js' },
};

// Pure tests: the machines, parsers and helpers that need no server. They run without Temporal, FerretDB, Go or
// Java (`npm run test:unit`, seconds). A new pure test either lives under test/machines/ or is named *.unit.test.ts.
const unitTests = [
  '<rootDir>/test/machines/**/*.test.ts',
  '<rootDir>/test/**/*.unit.test.ts',
  '<rootDir>/test/integrations/sip/sip.message.test.ts',
  '<rootDir>/test/workflows/local-activity-line.test.ts',
  '<rootDir>/test/analytics/kpi.test.ts',
];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: unitTests,
      transform,
      ...esmOnly,
    },
    {
      // Everything else runs against real servers: one Temporal dev server and one FerretDB for the whole run
      // (or TEMPORAL_ADDRESS / MONGODB_URL), started by the global set-up.
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '/test/machines/',
        '\\.unit\\.test\\.ts$',
        '/test/integrations/sip/sip\\.message\\.test\\.ts$',
        '/test/workflows/local-activity-line\\.test\\.ts$',
        '/test/analytics/kpi\\.test\\.ts$',
      ],
      transform,
      ...esmOnly,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // Two cores: the servers under test need one of them.
  maxWorkers: 2,
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/fault-table-reporter.js', '<rootDir>/test/support/summary-reporter.js'],
};
