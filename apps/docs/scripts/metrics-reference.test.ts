import { readFile } from 'node:fs/promises'
import { METRICS } from '@ipfo/core/agent'
import { describe, expect, it } from 'vitest'
import { metricsReference } from './metrics-reference.js'

describe('metricsReference', () => {
  const page = metricsReference(METRICS)
  const rows = page.split('\n').filter((l) => l.startsWith('| `ipfo_'))

  it('has one row per metric of the catalogue, in its order, with its type and every label', () => {
    expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)?.[1])).toEqual(METRICS.map((m) => m.name))
    for (const [i, m] of METRICS.entries()) {
      expect(rows[i]).toContain(` | ${m.type} | `)
      for (const label of Object.keys(m.labels)) expect(rows[i]).toContain(`\`${label}\``)
    }
  })

  it('names only metrics of the catalogue on the metrics page', async () => {
    const guide = await readFile(new URL('../operations/metrics.md', import.meta.url), 'utf8')
    const names = new Set(METRICS.map((m) => m.name))
    const used = [...guide.matchAll(/\bipfo_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))
    expect(used.length).toBeGreaterThan(5)
    expect(used.filter((n) => !names.has(n))).toEqual([])
  })
})
