import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { knownSeriesNames, PROMTOOL, prometheusSkipReason, seriesNamesIn } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DOCS } from './built-site.js'

/** The alert rules the docs offer (public/, so the site serves them for download). */
const RULES_FILE = join(DOCS, 'public', 'monitoring', 'ipfo-alert-rules.yml')
/** promtool's unit tests of those rules: input series and the alerts expected from them. */
const RULES_TESTS = join(DOCS, 'test', 'ipfo-alert-rules.test.yml')

const run = promisify(execFile)
// On CI a missing promtool fails here (prometheusSkipReason throws): .ci/run installs it.
const noPromtool = prometheusSkipReason()

interface Rule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
const rules: Rule[] = (
  parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules)

describe('the alert rules file', () => {
  it('has the alerts the docs promise', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'IpfoPeerLost',
      'IpfoLinkAnomaly',
      'IpfoNoNodeFit',
      'IpfoQuorumLost',
      'IpfoHookFailures',
      'IpfoTwoHolders',
      'IpfoScrapeDown',
    ])
  })

  it.each(rules)('$alert has a for:, a severity, a summary and a description', (rule) => {
    expect(rule.for).toMatch(/^\d+[smh]$/)
    expect(['critical', 'warning']).toContain(rule.labels?.severity)
    expect(rule.annotations?.summary).toBeTruthy()
    expect(rule.annotations?.description?.length).toBeGreaterThan(80)
  })

  it.each(rules)('$alert reads only metrics of the catalogue', (rule) => {
    const known = knownSeriesNames()
    const names = seriesNamesIn(rule.expr)
    expect(names.length).toBeGreaterThan(0)
    expect(names.filter((name) => !known.has(name))).toEqual([])
  })
})

describe.skipIf(noPromtool)(`promtool${noPromtool ? ` (skipped: ${noPromtool})` : ''}`, () => {
  it('checks the rules file', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', RULES_FILE])
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`)
  })

  it('runs the unit tests: every alert fires when it should and not before its for:', async () => {
    const result = await run(PROMTOOL, ['test', 'rules', RULES_TESTS]).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stdout?: string; stderr?: string }) => ({
        ok: false,
        output: `${error.stdout}${error.stderr}`,
      }),
    )
    expect(result.output).toContain('SUCCESS')
    expect(result.ok).toBe(true)
    // Every alert of the file is tested.
    const tested = new Set(
      [...readFileSync(RULES_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
    )
    expect([...tested].sort()).toEqual(rules.map((r) => r.alert).sort())
  })

  it('fails a rules file with a broken expression (the check has teeth)', async () => {
    const broken = readFileSync(RULES_FILE, 'utf8').replace('ipfo_peer_up == 0', 'ipfo_peer_up == ')
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-rules-'))
    try {
      const file = join(dir, 'broken.yml')
      await writeFile(file, broken)
      await expect(run(PROMTOOL, ['check', 'rules', file])).rejects.toMatchObject({
        stderr: expect.stringContaining('parse error'),
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
