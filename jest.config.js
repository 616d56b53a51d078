/**
 * Jest configuration built on the shared JupyterLab 4 preset from
 * `@jupyterlab/testing` (jsdom environment, ts-jest for TypeScript,
 * babel-jest for JavaScript, CSS/SVG mocks).
 */
const jupyterLabJestConfig = require('@jupyterlab/testing/lib/jest-config');

// Packages published as ES modules only: Jest runs CommonJS, so they must
// go through babel-jest instead of being ignored like the rest of
// node_modules. `@jupyterlab/` is not in the preset's list but every
// JupyterLab 4 package ships ES module code in `lib/`.
const esModules = [
  '@codemirror',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyter/ydoc',
  '@jupyterlab/',
  '@lezer',
  '@marijn',
  '@microsoft',
  'color',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jupyterLabJestConfig(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  // Only crawl the sources: the project root also holds .venv/ and the
  // built labextension, whose package.json files would collide in the
  // haste map.
  roots: ['<rootDir>/src'],
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    '!src/**/__tests__/**'
  ],
  coverageReporters: ['lcov', 'text'],
  // The preset also writes junit.xml (jest-junit) into the project root;
  // keep the default reporter, plus annotations when running on GitHub.
  reporters: process.env.GITHUB_ACTIONS
    ? ['default', 'github-actions']
    : ['default'],
  testPathIgnorePatterns: ['/lib/', '/node_modules/'],
  testRegex: 'src/.*/.*\\.spec\\.tsx?$',
  // ts-jest only transpiles (tsconfig.jest.json): `jlpm typecheck` (in `make lint`)
  // type-checks the same files with the same settings, once rather than per test file.
  transform: {
    ...baseConfig.transform,
    '^.+\\.tsx?$': ['ts-jest/legacy', { tsconfig: './tsconfig.jest.json' }]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModules})).+`]
};
