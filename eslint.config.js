// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);
const ioModules = ['mongodb', 'express', 'pino', 'pino-http', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', '.tools/', 'coverage/', 'test-results/', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The functional core: xstate and its own types only. No I/O, no clock, no randomness.
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...nodeBuiltins, ...ioModules, '@temporalio/workflow'], patterns: ['../activities/*', '../store/*', '../api/*', '../workflows/*'] }],
      'no-restricted-globals': ['error', 'fetch', 'setTimeout', 'setInterval', 'process'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now' }, { object: 'Math', property: 'random' }],
    },
  },
  {
    // Workflows orchestrate deterministically; activities are imported as types only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...nodeBuiltins, ...ioModules], patterns: ['../store/*', '../api/*'] }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/conversation.messages.ts'],
    rules: {
      // Activities and integrations run outside the workflow sandbox: their types only.
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['../activities', '../activities/*', '../integrations/**'], allowTypeImports: true }] }],
    },
  },

  // The walls between rooms (README, "Architecture"): each room imports only from the rooms below it. Type-only
  // imports of the public contracts (workflows/*.messages.ts, api/*.schema.ts) are allowed where noted.
  ...wall('lib/**/*.ts', 'the bottom layer: imports nothing above lib/ and machines/', ['api', 'activities', 'analytics', 'bin', 'integrations', 'scripts', 'services', 'simulator', 'store', 'worker', 'workflows']),
  ...wall('store/**/*.ts', 'MongoDB only: no HTTP, no Temporal activities or workflow code', ['api', 'activities', 'analytics', 'bin', 'integrations', 'scripts', 'services', 'simulator', 'worker', 'workflows:messages'], ['workflows']),
  ...wall('integrations/**/*.ts', 'clients of the outside world: no store, no use cases, no HTTP server', ['api', 'activities', 'analytics', 'bin', 'scripts', 'services', 'simulator', 'store', 'worker', 'workflows'], [], ['express']),
  ...wall('services/**/*.ts', 'use cases: no express, no activities or worker', ['activities', 'analytics', 'api:schema', 'bin', 'scripts', 'simulator', 'worker', 'workflows:messages'], ['api'], ['express']),
  ...wall('activities/**/*.ts', 'Temporal activities: no HTTP, no worker wiring', ['api', 'analytics', 'bin', 'scripts', 'simulator', 'worker', 'workflows:messages'], ['workflows'], ['express']),
  ...wall('worker/**/*.ts', 'the composition root of the worker: no HTTP', ['api', 'analytics', 'bin', 'scripts', 'simulator'], [], ['express']),
  ...wall('api/**/*.ts', 'HTTP only: no activities, worker or simulator', ['activities', 'bin', 'scripts', 'simulator', 'worker', 'workflows:messages']),
);

/**
 * One room's wall: `forbidden` rooms may not be imported at all, `typeOnly` rooms only with `import type`, and
 * `modules` (npm packages) not at all.
 */
function wall(files, why, forbidden, typeOnly = [], modules = []) {
  // `room:suffix` spares the room's `*.suffix` files: `workflows:messages` (signals, updates and queries, the
  // workflows' public contract) and `api:schema` (the API's wire types).
  const regex = (rooms) =>
    `^(\\.\\./)+(${rooms.map((room) => (room.includes(':') ? `${room.split(':')[0]}(?!/[\\w.-]+\\.${room.split(':')[1]}$)` : room)).join('|')})(/.*)?$`;
  const message = `${files.split('/')[0]}/ is ${why}`;
  return [
    {
      files: [files],
      rules: {
        '@typescript-eslint/no-restricted-imports': [
          'error',
          {
            paths: modules.map((name) => ({ name, message })),
            patterns: [
              ...(forbidden.length ? [{ regex: regex(forbidden), message }] : []),
              ...(typeOnly.length ? [{ regex: regex(typeOnly), message: `${message} (type imports only)`, allowTypeImports: true }] : []),
            ],
          },
        ],
      },
    },
  ];
}
