import { readFile } from 'node:fs/promises'
import type { ChecksConfig } from '../../config/checks-schema.js'
import type { HealthResult } from '../../model/health.js'
import type { HealthPort } from '../../model/ports.js'
import { httpProbe } from './http-probe.js'
import { interfaceProbe } from './interface-probe.js'
import { tcpProbe } from './tcp-probe.js'

/** Runs exec checks (adapters/checks/exec-checker.ts: one long-lived helper, no spawn per run). */
export interface ExecRunner {
  run(argv: readonly string[], timeoutMs: number): Promise<HealthResult>
  close(): Promise<void>
}

/**
 * The agent's HealthPort: each configured check by its kind. tcp, http(s) and interface run in the
 * agent's loop; exec goes to the helper, started only when an exec check is configured. CA files are
 * read once, here, at start (preflight has checked they can be read).
 */
export async function healthChecks(
  checks: ChecksConfig,
  opts: { readonly exec?: () => ExecRunner; readonly sysfs?: string } = {},
): Promise<HealthPort> {
  const needsExec = Object.values(checks).some((c) => c.kind === 'exec')
  const exec = needsExec ? opts.exec?.() : undefined
  const runs = new Map<string, () => Promise<HealthResult>>()
  for (const [name, check] of Object.entries(checks)) {
    switch (check.kind) {
      case 'tcp':
        runs.set(name, () => tcpProbe({ host: check.host, port: check.port, timeoutMs: check.timeout }))
        break
      case 'http':
      case 'https': {
        const ca = check.ca === undefined ? undefined : await readFile(check.ca)
        const url = new URL(check.url)
        runs.set(name, () =>
          httpProbe({
            url,
            expect: check.expect,
            timeoutMs: check.timeout,
            ...(check.bodyMatch === undefined ? {} : { bodyMatch: check.bodyMatch }),
            ...(ca === undefined ? {} : { ca }),
          }),
        )
        break
      }
      case 'interface':
        runs.set(name, () => withTimeout(interfaceProbe(check.interface, opts.sysfs), check.timeout))
        break
      case 'exec':
        runs.set(name, () =>
          exec
            ? exec.run(check.argv, check.timeout)
            : Promise.resolve({ ok: false, detail: 'no exec-check helper could be started' }),
        )
        break
    }
  }
  return {
    run(name) {
      const run = runs.get(name)
      return run ? run() : Promise.resolve({ ok: false, detail: `no check is named "${name}"` })
    },
    async close() {
      await exec?.close()
    },
  }
}

function withTimeout(p: Promise<HealthResult>, ms: number): Promise<HealthResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, detail: `timed out after ${ms} ms` }), ms)
    p.then((r) => {
      clearTimeout(timer)
      resolve(r)
    })
  })
}
