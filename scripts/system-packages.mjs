#!/usr/bin/env node
// Installs the Debian packages the tests need (.ci/apt-packages.txt) that are not installed yet, so
// that `npm test` passes on a fresh Debian 12 machine as it is. Runs before the tests (scripts/
// test.mjs) and in .ci/run. It only installs as root, with apt-get, and only what is missing: an
// installed machine starts no apt at all. Not root, or not Debian: it says what is missing and
// leaves it to you (the tests that need those tools then skip, or fail under CI=true).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const LIST = fileURLToPath(new URL('../.ci/apt-packages.txt', import.meta.url))
/**
 * Packages whose postinst enables and starts a system service the tests never use: each test runs
 * its own daemon (in a namespace or on a free port). A system Prometheus would scrape itself every
 * 5 s on :9090 and an etcd would hold :2379, costing CPU on a 2-core runner and taking ports.
 */
const SERVICES_OFF = { prometheus: 'prometheus.service', 'etcd-server': 'etcd.service' }
/** Debian's hook for "may a package start its service now": exit 101 says no (Docker images ship one). */
const POLICY_RC_D = '/usr/sbin/policy-rc.d'
/** Marks the policy file as this script's: one left by a killed run is removed at the next. */
const OURS = '# ipfo tests: no service starts while apt-get runs'

/** The packages of the list that dpkg does not know as installed. */
export function missingPackages() {
  const wanted = readFileSync(LIST, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not JavaScript's
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...wanted], {
    encoding: 'utf8',
  })
  if (query.error) return { wanted, missing: undefined }
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0]),
  )
  return { wanted, missing: wanted.filter((name) => !installed.has(name)) }
}

/** Installs what is missing; returns false when the tests cannot have what they need. */
export function ensureSystemPackages(log = (line) => console.log(line)) {
  const { missing } = missingPackages()
  if (missing === undefined) {
    log(
      'system packages: dpkg-query not found (not Debian?): install the tools of .ci/apt-packages.txt yourself',
    )
    return true
  }
  if (missing.length === 0) return true
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`
  if (process.getuid?.() !== 0) {
    log(`system packages: the tests need ${missing.join(', ')}; as root, run: apt-get update && ${command}`)
    return true
  }
  log(`system packages: installing what the tests need and this machine lacks: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // A run killed while apt-get ran (kill -9) left its policy behind: every service on the machine
  // would stay refused. It is ours: remove it, then write it again for this run.
  if (isOurs()) rmSync(POLICY_RC_D, { force: true })
  const refuseStarts = !existsSync(POLICY_RC_D)
  const removePolicy = () => {
    if (refuseStarts && isOurs()) rmSync(POLICY_RC_D, { force: true })
  }
  // Ctrl-C reaches apt-get too; the policy goes before this script does.
  const interrupted = (signal) => {
    removePolicy()
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15))
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, interrupted)
  if (refuseStarts) writeFileSync(POLICY_RC_D, `#!/bin/sh\n${OURS}\nexit 101\n`, { mode: 0o755 })
  try {
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
      const run = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env })
      if (run.status !== 0) {
        log(
          `system packages: apt-get ${args[0]} failed (${run.error?.message ?? `exit ${run.status}`}); run it yourself: apt-get update && ${command}`,
        )
        return false
      }
    }
  } finally {
    removePolicy()
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(signal, interrupted)
  }
  disableServices(missing, log)
  return true
}

function isOurs() {
  try {
    return readFileSync(POLICY_RC_D, 'utf8').includes(OURS)
  } catch {
    return false
  }
}

/**
 * The policy above kept the services from starting; their units stay enabled, so they would start
 * at the next boot. Disables those this run installed (never one an administrator installed before).
 */
function disableServices(installed, log) {
  const units = installed.flatMap((name) => (name in SERVICES_OFF ? [SERVICES_OFF[name]] : []))
  if (units.length === 0 || !existsSync('/run/systemd/system')) return
  const run = spawnSync('systemctl', ['disable', '--now', ...units], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (run.status !== 0)
    log(`system packages: could not disable ${units.join(' ')}; the tests do not need them running`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(ensureSystemPackages() ? 0 : 1)
