import { describe, expect, it } from 'vitest'

describe("the guard's command", () => {
  it('runs perl in the C locale with none of perl’s own variables from the agent’s environment', async () => {
    process.env.PERL5OPT = '-Mstrict'
    process.env.PERL_HASH_SEED_DEBUG = '1'
    try {
      const { GUARD_COMMAND } = await import('../src/guard/command.js')
      expect(GUARD_COMMAND.command).toBe('perl')
      expect(GUARD_COMMAND.env).toMatchObject({ LC_ALL: 'C', PERL5OPT: null, PERL_HASH_SEED_DEBUG: null })
    } finally {
      delete process.env.PERL5OPT
      delete process.env.PERL_HASH_SEED_DEBUG
    }
  })
})
