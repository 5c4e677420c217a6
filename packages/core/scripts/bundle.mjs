// Part of the build (after tsc): the two bundles behind `@ipfo/core/config-file` and
// `@ipfo/core/config-peek`, for the CLI's start-up (issue 22). As one file each instead of hundreds
// of modules (zod, yaml), `ipfo config check` starts in about two thirds of the time, and a command
// that reads `paths.socket` from a YAML config in about three quarters. Bundled here, in core, so
// the CLI always runs the agent's own config code and schema.
//
// What stays outside a bundle: model/errors.js (the CLI maps errors to exit codes with
// `instanceof ConfigError`, which a bundled copy would fail) and, for the peek, config/load.js (the
// full check, loaded only to report a file that does not parse).
import { dirname } from 'node:path'
import { build } from 'esbuild'

/** `../model/errors.js` -> `./model/errors.js`: the module itself, beside the bundle in dist/. */
const outside = (filter, path) => ({
  name: `outside ${path}`,
  setup(b) {
    b.onResolve({ filter }, () => ({ path, external: true }))
  },
})

// zod's `z.locales` carries every language's messages (some 260 KB of a 610 KB bundle); the config
// code uses none of them (English, zod's default, comes from its own import).
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/zod/') ? { path: args.importer, namespace: 'zod-locales' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js'",
      resolveDir: dirname(args.path),
    }))
  },
}

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'inline',
  // Less to parse at every start. Names are not kept (keepNames costs a call per function and class
  // at load): ipfo's errors live outside the bundle, and zod and yaml name their errors explicitly.
  minify: true,
  logLevel: 'warning',
  // yaml is CommonJS: its require() of Node's modules needs a require in an ES module.
  banner: {
    js: "import { createRequire as __ipfoCreateRequire } from 'node:module'; const require = __ipfoCreateRequire(import.meta.url);",
  },
}

await build({
  ...common,
  entryPoints: ['dist/agent/load-config-file.js'],
  outfile: 'dist/config-file.bundle.js',
  plugins: [outside(/(^|\/)model\/errors\.js$/, './model/errors.js'), zodEnglishOnly],
})

await build({
  ...common,
  // yaml in a chunk of its own, loaded only when the text names the field.
  entryPoints: { 'config-peek.bundle': 'dist/config/peek.js' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'bundle-chunks/[name]-[hash]',
  plugins: [outside(/^\.\/load\.js$/, './config/load.js')],
})
