import { describe, it } from 'vitest'
import { codecProperties } from './codec.properties.js'

// A quick pass on every run; scripts/fuzz-codec.ts runs the same properties millions of times.
const RUNS = 2000

describe('heartbeat codec properties', () => {
  it.each(Object.entries(codecProperties))('%s', (_, check) => check(RUNS), 30_000)
})
