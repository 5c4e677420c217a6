import { METRICS } from '@ipfo/core/agent'
import { IPFO_METRICS } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'

/**
 * testkit keeps its own list of the agent's metrics (the dashboard and alert-rule tests check names
 * against it). It cannot import core's catalogue: core has testkit as a devDependency, so the
 * import would make a cycle. Here, where both are dependencies, the two lists must agree.
 */
describe("testkit's metric list", () => {
  it('has every metric of the catalogue and no other, with its type and label names', () => {
    const catalogue = Object.fromEntries(
      METRICS.map((m) => [m.name, { type: m.type, labels: Object.keys(m.labels).sort() }]),
    )
    const kept = Object.fromEntries(
      Object.entries(IPFO_METRICS).map(([name, spec]) => [
        name,
        { type: spec.type, labels: [...spec.labels].sort() },
      ]),
    )
    expect(kept).toEqual(catalogue)
  })
})
