import type { Config } from '../config/schema.js'

/**
 * The libraries `@ipfo/core/agent` loads as it starts, loaded by themselves: zod and yaml (the
 * config), pino (the log) and, when `config` uses them, prom-client (metrics) and etcd3 with
 * cockatiel (quorum). `ipfo agent` loads these first, compiled lazily as V8 does by default, then the
 * agent with every function compiled as it loads (the CLI's runtime/compiled-whole.ts), so that
 * ipfo's own code, the takeover path with it, is compiled before the first takeover, and these
 * libraries, which a takeover never calls into, do not pay for it in memory (some 1.6 MB of heap for
 * the first three alone). An optional library that is not installed is left to the agent's start,
 * which says so.
 */
export async function loadAgentLibraries(config?: Pick<Config, 'metrics' | 'coordination'>): Promise<void> {
  await Promise.all([import('zod'), import('yaml'), import('pino')])
  await Promise.allSettled([
    ...(config?.metrics ? [import('./metrics/library.js').then((m) => m.loadPromClient())] : []),
    ...(config?.coordination ? [import('etcd3'), import('cockatiel')] : []),
  ])
}
