#!/usr/bin/env node
// Installs the Debian packages the tests need when they are missing (scripts/system-packages.mjs),
// runs every workspace's tests through turbo and the import rules (`npm run lint:rules`), then prints one closing line that CI can read:
// "tests: N passed, N failed, N skipped". Each workspace's vitest writes a JSON report under
// .vitest/; this script only adds them up. Extra arguments go to turbo (e.g. --filter=@ipfo/core).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ensureSystemPackages } from './system-packages.mjs'

if (!ensureSystemPackages()) process.exit(1)

const root = new URL('..', import.meta.url).pathname
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
// A workspace without tests (the shared fakes of @ipfo/testkit) writes no report.
const workspaces = readJson(join(root, 'package.json')).workspaces.filter(
  (ws) => readJson(join(root, ws, 'package.json')).scripts?.test !== undefined,
)
const reports = workspaces.map((ws) => join(root, ws, '.vitest', 'report.json'))
for (const report of reports) rmSync(report, { force: true })

const turbo = spawnSync(
  'npx',
  [
    'turbo',
    'run',
    'test',
    '--continue',
    '--log-prefix=none',
    '--log-order=grouped',
    // Two suites at a time: every suite at once on a two-core machine slowed real mounts and
    // heartbeats tenfold, and timing-sensitive tests failed for it.
    '--concurrency=2',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env } },
)

// The import rules (dependency-cruiser) and unused files, exports and dependencies (knip): see
// ARCHITECTURE.md. Run after the tests (their build is done); a break fails the run.
const rules = spawnSync('npm', ['run', '--silent', 'lint:rules'], { cwd: root, stdio: 'inherit' })
if (rules.status !== 0) console.log('lint:rules failed: an import breaks the layers, or something is unused')

const totals = { passed: 0, failed: 0, skipped: 0 }
const missing = []
for (const [i, report] of reports.entries()) {
  if (!existsSync(report)) {
    missing.push(workspaces[i])
    continue
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  totals.passed += json.numPassedTests
  totals.failed += json.numFailedTests
  totals.skipped += json.numPendingTests + json.numTodoTests
}
if (missing.length > 0) console.log(`no test report from: ${missing.join(', ')}`)
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
const ok = rules.status === 0 && turbo.status === 0 && totals.failed === 0 && missing.length === 0
process.exit(ok ? 0 : (turbo.status ?? 1) || 1)
