/**
 * Environments for npm and the installed commands that look like a user's shell, not like a test
 * run under `npm test`: that sets npm_config_* (prefix=/usr, local_prefix=<repo>), npm_package_*,
 * INIT_CWD and PATH entries of the repository's node_modules/.bin, and vitest sets NODE_ENV=test.
 */

/** npm settings a user's environment may really carry: kept, so the tests use the same cache and registry. */
const KEPT_NPM_CONFIG = new Set([
  'npm_config_cache',
  'npm_config_registry',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_cafile',
])

type Env = Record<string, string | undefined>

/** The environment for running npm. */
export function npmEnv(base: Env = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue
    const lower = key.toLowerCase()
    if (lower.startsWith('npm_') && !KEPT_NPM_CONFIG.has(lower)) continue
    if (key === 'INIT_CWD' || key === 'NODE_ENV' || key.startsWith('VITEST') || key === 'TEST') continue
    env[key] = value
  }
  env.PATH = (base.PATH ?? '')
    .split(':')
    .filter((entry) => entry !== '' && !entry.includes('node_modules'))
    .join(':')
  // No prompts, no update checks: a user's npm would ask nothing here either.
  env.npm_config_update_notifier = 'false'
  return env
}

/** The environment for running what was installed under `prefix`: its bin folder first on PATH. */
export function userEnv(prefix: string, base: Env = process.env): Record<string, string> {
  const env = npmEnv(base)
  env.PATH = [`${prefix}/bin`, env.PATH].filter(Boolean).join(':')
  return env
}
