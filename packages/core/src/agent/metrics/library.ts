/**
 * prom-client loaded by itself, when the config has a metrics section: before the agent's start
 * compiles its own code whole (agent/libraries.ts), so the library is compiled as usual.
 */
export async function loadPromClient(): Promise<void> {
  await import('prom-client')
}
