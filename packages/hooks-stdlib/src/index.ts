/** The hooks @ipfo/hooks-stdlib provides; each is also installable on its own with `ipfo hooks add`. */
export const STDLIB_HOOKS = ['email', 'log', 'mount', 'service', 'webhook'] as const
export type StdlibHookName = (typeof STDLIB_HOOKS)[number]
