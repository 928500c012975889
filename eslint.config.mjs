// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impure = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Statecharts are pure: time enters as an event payload.' },
  { selector: "NewExpression[callee.name='Date']", message: 'Statecharts are pure: time enters as an event payload.' },
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Statecharts are pure: no randomness.' },
  { selector: "MemberExpression[object.name='process']", message: 'Statecharts are pure: configuration comes through the definition.' },
];

const notTheApplication = { regex: '^(@nestjs/|express$|(\\.\\./)+(api|tasks|audit|diagrams|observability|operations|auth|bootstrap|console|demo|sandbox|config)/|.*machines)', message: 'engine/ must not depend on the processes, HTTP or NestJS.' };

/** The engine's folders and the folders each may import (see the README's "Layout"). */
const ENGINE_LAYERS = {
  errors: [],
  decider: ['errors'],
  definition: ['decider', 'errors'],
  telemetry: ['decider'],
  store: ['decider', 'definition', 'telemetry', 'errors'],
  loop: ['decider', 'definition', 'store', 'telemetry', 'errors'],
  dispatch: ['definition', 'loop', 'store', 'telemetry', 'errors'],
  workers: ['definition', 'dispatch', 'loop', 'store', 'telemetry', 'errors'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // A promise nobody awaits loses its rejection: in a worker that is an unhandled rejection
    // (the process dies) or a write nobody waits for. Type-aware, so only on the server's code.
    files: ['src/**/*.ts', 'machines/**/*.ts', 'chaos/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // House rule 1: statechart files do no I/O and import only XState, the engine's definition API and their own types.
    files: ['machines/**/*.machine.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...impure],
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!xstate$|zod$|\\.\\./\\.\\./src/engine$|\\./|\\.\\./shared/money$).*', message: 'A statechart imports only xstate, zod (task forms), ../../src/engine, ../shared/money and its own folder.' }] }],
    },
  },
  {
    // The web console runs in the browser: browser globals, and nothing of Node or the server's code.
    files: ['console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', sessionStorage: 'readonly', URLSearchParams: 'readonly', Blob: 'readonly', ResizeObserver: 'readonly', HTMLElement: 'readonly' } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(node:|\\.\\./\\.\\./(src|machines)/)', message: 'The console talks to the server over HTTP only.' }] }],
    },
  },
  {
    // The engine knows XState, PostgreSQL and BullMQ; never the processes, HTTP or NestJS.
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [notTheApplication] }] },
  },
  // Each folder of the engine imports only the folders below it (README, "Layout"); runtime.ts
  // and index.ts at its root put them together and are imported by none of them.
  ...Object.entries(ENGINE_LAYERS).map(([folder, allowed]) => ({
    files: [`src/engine/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            notTheApplication,
            { regex: `^\\.\\./(?!(?:${allowed.join('|') || '$^'})/)`, message: `engine/${folder}/ may import only ${allowed.length ? allowed.map((a) => `engine/${a}/`).join(', ') : 'nothing else of the engine'}.` },
          ],
        },
      ],
    },
  })),
);
