import { fileURLToPath } from 'node:url'
import type { HookDefinition } from './define-hook.js'
import { afpHook } from './hooks/afp.js'
import { emailHook } from './hooks/email.js'
import { logHook } from './hooks/log.js'
import { mountHook } from './hooks/mount.js'
import { serviceHook } from './hooks/service.js'
import { webhookHook } from './hooks/webhook.js'

/** The hooks @ipfo/hooks-stdlib provides; each is also installable on its own with `ipfo hooks add`. */
export const STDLIB_HOOKS = ['afp', 'email', 'log', 'mount', 'service', 'webhook'] as const
export type StdlibHookName = (typeof STDLIB_HOOKS)[number]

export const stdlibHooks: Readonly<Record<StdlibHookName, HookDefinition>> = {
  afp: afpHook,
  email: emailHook,
  log: logHook,
  mount: mountHook,
  service: serviceHook,
  webhook: webhookHook,
}

export function isStdlibHook(name: string): name is StdlibHookName {
  return (STDLIB_HOOKS as readonly string[]).includes(name)
}

/** The absolute path of a stdlib hook's executable (`dist/bin/<name>.js` of this package). */
export function stdlibHookBin(name: StdlibHookName): string {
  return fileURLToPath(new URL(`./bin/${name}.js`, import.meta.url))
}
