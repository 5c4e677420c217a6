#!/usr/bin/env node
// The agent's long-running process gets `--max-semi-space-size=1` (a 1 MiB young generation, about
// 10 MB less RSS at fast intervals) from whatever starts it: the systemd unit and launchd plist of
// `ipfo service install`, and the demo (AGENT_NODE_FLAGS in src/service/agent-command.ts). Other
// commands start without it: the small young generation costs some 20 ms of start-up.
import { existsSync, readFileSync } from 'node:fs'
import { arch, platform, release } from 'node:os'

const FAST_WORDS = new Set(['status', 'events', 'takeover', 'release', 'maintenance', 'config', 'hooks'])
const argv = process.argv.slice(2)
const line = versionLine(argv)
if (line !== undefined) process.stdout.write(`${line}\n`)
else if ((await agentFast(argv)) === undefined && (await everyday(argv)) === undefined) {
  // On import, oclif checks Node against its own engines field (>=18) with the whole of semver, 47
  // files and some 10 ms; ipfo's engines (>=20.19) is stricter and checked by npm at install. The
  // variable is set only for the import, so child processes see the environment as it was.
  const preset = 'OCLIF_DISABLE_ENGINE_WARNING' in process.env
  // Under NODE_ENV=test or development (a test runner's agents, a developer's shell), oclif looks for
  // TypeScript sources to run instead of dist: it loads typescript (a 9 MB source) to read
  // tsconfig.json and registers tsx as a module loader, then runs dist all the same (no outDir).
  // That was 16 MB of an agent's 30 MB heap and 0.7 s of start-up, for nothing.
  globalThis.oclif = { ...globalThis.oclif, enableAutoTranspile: false }
  if (!preset) process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  const { execute } = await import('@oclif/core/execute')
  if (!preset) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  await execute({ dir: import.meta.url })
}

/**
 * `ipfo agent` without oclif (dist/fast/agent.js), manifest or not: the running agent is then some
 * 15 MB lighter and starts sooner. Undefined, having done nothing, for argv or a setup that oclif
 * must handle (--help, --debug, a hook or plugin): oclif runs those. test/fast-agent.test.ts.
 */
async function agentFast(argv) {
  if (argv[0] !== 'agent') return undefined
  const { runAgentFast } = await import('../dist/fast/agent.js')
  const code = await runAgentFast(argv.slice(1))
  if (code !== undefined) process.exitCode = code
  return code
}

/**
 * The everyday commands (status, events, takeover, release, maintenance, config check, hooks list)
 * run without oclif when installed (with the oclif manifest, which a repository checkout does not
 * have): dist/fast/dispatch.js parses argv against the manifest and runs the same body as the
 * command's class. It returns undefined, before doing anything, for whatever it would not handle
 * exactly as oclif does (--help, an unknown flag, --debug, status --watch, ...): oclif runs those.
 * test/fast-path.test.ts compares the two.
 */
async function everyday(argv) {
  if (!FAST_WORDS.has(argv[0])) return undefined
  if (!existsSync(new URL('../oclif.manifest.json', import.meta.url))) return undefined
  const { runFast } = await import('../dist/fast/dispatch.js')
  const code = await runFast(argv)
  if (code !== undefined) process.exitCode = code
  return code
}

/**
 * What oclif prints for `ipfo --version` (its config.userAgent), without loading oclif, which is most
 * of the start-up time. Undefined whenever oclif must answer itself: not a version flag, a hook that
 * would run first, or WSL (which oclif detects by reading more of the system). test/startup.test.ts
 * compares this with oclif's own answer.
 */
function versionLine(argv) {
  if (!argv[0]?.startsWith('-')) return undefined
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const oclif = pjson.oclif ?? {}
  if (!['--version', ...(oclif.additionalVersionFlags ?? [])].includes(argv[0])) return undefined
  if (oclif.hooks?.init || oclif.hooks?.finally) return undefined
  if (platform() === 'linux' && /microsoft/i.test(`${release()} ${procVersion()}`)) return undefined
  const cpu = arch() === 'ia32' ? 'x86' : arch()
  return `${pjson.name}/${pjson.version || '0.0.0'} ${platform()}-${cpu} node-${process.version}`
}

function procVersion() {
  try {
    return readFileSync('/proc/version', 'utf8')
  } catch {
    return ''
  }
}
