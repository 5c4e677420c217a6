/**
 * The libraries `@ipfo/core/agent` loads at its start, loaded by themselves: zod and yaml (the
 * config), pino (the log). `ipfo agent` loads these first, compiled lazily as V8 does by default,
 * then the agent with every function compiled as it loads (the CLI's runtime/compiled-whole.ts), so
 * that ipfo's own code, the takeover path with it, is compiled before the first takeover and these
 * libraries, which a takeover never calls into, do not pay for it in memory (some 1.6 MB of heap).
 */
export async function loadAgentLibraries(): Promise<void> {
  await Promise.all([import('zod'), import('yaml'), import('pino')])
}
