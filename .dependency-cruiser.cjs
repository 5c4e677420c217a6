/**
 * The import rules of ipfo (see ARCHITECTURE.md). Core is in layers, each importing only the ones
 * below it; tests follow the rules of the folder they sit in (they may also use the test fakes).
 * Run by `npm run lint` (root) and so by CI.
 */
const CORE = '^packages/core/src/'
const layer = (name) => `${CORE}${name}/`
/** Test support that only tests may import. */
const TEST_SUPPORT = '(^packages/[^/]+/test/fakes/|^packages/testkit/)'
const TESTS = '\\.(test|properties)\\.ts$'

/** Per layer: the core folders it may import (besides its own). */
const allowed = {
  model: [],
  config: ['model'],
  heartbeat: ['model'],
  'state-machine': ['model'],
  hooks: ['model', 'config', 'state-machine'],
  engine: ['model', 'config', 'heartbeat', 'state-machine'],
  adapters: ['model', 'config', 'heartbeat', 'hooks'],
  // The guard: its perl program and the report it hands over to (logging, the record), nothing of the engine.
  guard: ['model', 'adapters'],
}
const coreFolders = [
  'model',
  'config',
  'heartbeat',
  'state-machine',
  'hooks',
  'engine',
  'adapters',
  'netns',
  'guard',
  'agent',
]

const layerRules = Object.entries(allowed).map(([name, below]) => ({
  name: `core-layer-${name}`,
  comment: `core/${name} may import only ${below.length ? below.join(', ') : 'nothing else in core'} (and, in tests, the test fakes): imports run down the layers`,
  severity: 'error',
  from: { path: layer(name) },
  to: {
    path: `${CORE}(${coreFolders.filter((f) => f !== name && !below.includes(f)).join('|')})/`,
  },
}))

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'pure-state-machine',
      comment:
        'the state machine is pure: no Node built-ins, no npm packages (time is an argument, effects are data)',
      severity: 'error',
      from: { path: layer('state-machine'), pathNot: TESTS },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer'] },
    },
    {
      name: 'model-has-no-io',
      comment: 'core/model holds value types and contracts: no Node built-ins that do IO (net only for isIP)',
      severity: 'error',
      from: { path: layer('model'), pathNot: TESTS },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?net$' },
    },
    {
      name: 'test-fakes-only-in-tests',
      comment: 'test fakes are for tests: product code never imports them',
      severity: 'error',
      from: { path: '^(packages|apps|bench)/', pathNot: [TESTS, '/test/', TEST_SUPPORT] },
      to: { path: TEST_SUPPORT },
    },
    {
      name: 'core-never-imports-cli',
      comment: 'the CLI sits on top of core, never below it',
      severity: 'error',
      from: { path: '^packages/(core|hooks-stdlib|afp)/' },
      to: { path: '^packages/cli/' },
    },
    {
      name: 'packages-by-name',
      comment: 'a workspace imports another by its package name (@ipfo/...), never by a path into its folder',
      severity: 'error',
      from: { path: '^(packages/[^/]+|apps/[^/]+|bench)/' },
      to: {
        path: '^(packages/[^/]+|apps/[^/]+|bench)/',
        pathNot: ['^$1/', '/node_modules/'],
        dependencyTypesNot: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'],
      },
    },
    {
      name: 'prom-client-only-for-metrics',
      comment:
        'prom-client is for the metrics endpoint alone (agent/metrics/), so an agent without a metrics section never loads it',
      severity: 'error',
      from: { path: '^packages/', pathNot: [`${CORE}agent/metrics/`, TESTS, TEST_SUPPORT, '/test/fakes/'] },
      to: { path: 'node_modules/prom-client/' },
    },
    {
      name: 'metrics-loaded-on-demand',
      comment:
        'the agent loads its metrics endpoint (and with it prom-client) with import() when the config has a metrics section; the catalogue, its label values and the listen hints are pure and may be imported (the docs and doctor do)',
      severity: 'error',
      from: { path: CORE, pathNot: [`${CORE}agent/metrics/`, TESTS] },
      to: {
        path: `${CORE}agent/metrics/`,
        pathNot: `${CORE}agent/metrics/(catalogue|label-values|listen-hints)\\.ts$`,
        dependencyTypesNot: ['dynamic-import'],
      },
    },
    {
      name: 'no-circular',
      comment: 'modules import each other in a loop: split out what both need',
      severity: 'error',
      from: { path: '^(packages|apps|bench)/', pathNot: '/node_modules/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(/dist/|/node_modules/|/\\.vitepress/cache/|/coverage/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
}
