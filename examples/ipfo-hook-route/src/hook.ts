// src/hook.ts
import { defineHook } from '@ipfo/hooks-stdlib'
import { z } from 'zod'

export const routeHook = defineHook({
  name: 'route',
  description: 'Adds a route through the service address while this node holds it.',
  options: z.strictObject({
    to: z.string().describe('The destination network, e.g. "10.20.0.0/16".'),
    via: z.string().describe('The gateway.'),
  }),
  async run(event, options, deps) {
    const args =
      event.action === 'acquire'
        ? ['route', 'replace', options.to, 'via', options.via, 'dev', event.interface, 'src', event.address]
        : ['route', 'del', options.to, 'via', options.via]
    const result = await deps.runner.run('ip', args, { timeoutMs: 10_000 })
    const gone = event.action === 'release' && /No such process/.test(result.stderr)
    if (result.exitCode !== 0 && !gone) {
      return { ok: false, summary: `ip ${args.join(' ')} failed: ${result.stderr.trim()}` }
    }
    return { ok: true, summary: `ip ${args.join(' ')}: done` }
  },
})
