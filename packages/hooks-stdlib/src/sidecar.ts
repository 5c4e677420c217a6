import { readFile, stat } from 'node:fs/promises'
import type { z } from 'zod'
import type { HookDefinition } from './define-hook.js'
import { HookInputError } from './errors.js'

/**
 * A hook's options live in a sidecar JSON file next to its script (`PostAcq-50-email.json`, mode
 * 0600). Secrets are only referenced there (`passwordFile`, `passwordEnv`, `tokenFile`, `tokenEnv`):
 * a sidecar is copied, diffed and pasted into tickets, a secret file is not.
 */

/** The sidecar of a script: `<script>.json`. */
export function sidecarPath(script: string): string {
  return `${script}.json`
}

const SECRET_KEY = /^(password|passwd|pass|secret|token|bearer|bearertoken|apikey|api_key|authorization)$/i
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i

/** Throws when a secret is written inline: a `password`/`token`-like key, or a URL with a password. */
export function assertNoInlineSecrets(value: unknown, path: readonly string[] = []): void {
  if (typeof value === 'string' && URL_WITH_PASSWORD.test(value)) {
    throw new HookInputError(
      `option "${path.join('.')}" is a URL with a password in it; secrets are never inline`,
      {
        hint: 'remove the password from the URL and give it with "passwordFile" (a mode 0600 file) or "passwordEnv"',
      },
    )
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      assertNoInlineSecrets(item, [...path, String(i)])
    })
    return
  }
  if (typeof value !== 'object' || value === null) return
  for (const [key, item] of Object.entries(value)) {
    const where = [...path, key].join('.')
    if (SECRET_KEY.test(key)) {
      const base = /token|bearer|authorization/i.test(key) ? 'token' : 'password'
      throw new HookInputError(
        `option "${where}" holds a secret inline; secrets are only given by reference`,
        {
          hint: `replace it with "${base}File": "/etc/ipfo/<name>" (a file of mode 0600) or "${base}Env": "<VARIABLE>"`,
        },
      )
    }
    assertNoInlineSecrets(item, [...path, key])
  }
}

/** Checks raw options (from a sidecar or `ipfo hooks add --option`) against a hook's schema. */
export function parseHookOptions<S extends z.ZodType>(
  hook: HookDefinition<S>,
  raw: unknown,
  source = 'the options',
): z.output<S> {
  assertNoInlineSecrets(raw)
  const parsed = hook.options.safeParse(raw)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.map(String).join('.')
    return where ? `${where}: ${issue.message}` : issue.message
  })
  throw new HookInputError(`${source} of the ${hook.name} hook are not valid:\n  ${problems.join('\n  ')}`, {
    hint: `see the ${hook.name} hook's options in the @ipfo/hooks-stdlib README`,
  })
}

/** Reads and checks a sidecar; a missing sidecar means no options (`{}`). */
export async function readHookOptions<S extends z.ZodType>(
  hook: HookDefinition<S>,
  file: string,
): Promise<z.output<S>> {
  const facts = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new HookInputError(`cannot read the options file ${file} (${error.code ?? error.message})`)
  })
  if (facts === undefined) return parseHookOptions(hook, {}, `${file} is missing, so the options`)
  if ((facts.mode & 0o022) !== 0) {
    throw new HookInputError(
      `the options file ${file} can be changed by other users (mode ${modeText(facts.mode)})`,
      {
        hint: `chmod 600 ${file}`,
      },
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new HookInputError(`the options file ${file} is not valid JSON (${(error as Error).message})`)
  }
  return parseHookOptions(hook, raw, `the options in ${file}`)
}

/**
 * Reads a secret given by reference: a file (that others cannot read; a trailing newline is dropped) or
 * an environment variable. Undefined when neither is given.
 */
export async function readSecret(
  ref: { file?: string | undefined; env?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): Promise<string | undefined> {
  if (ref.file !== undefined) {
    const facts = await stat(ref.file).catch((error: NodeJS.ErrnoException) => {
      throw new HookInputError(`cannot read the ${what} file ${ref.file} (${error.code ?? error.message})`)
    })
    if ((facts.mode & 0o077) !== 0) {
      throw new HookInputError(
        `the ${what} file ${ref.file} can be read by other users (mode ${modeText(facts.mode)})`,
        {
          hint: `chmod 600 ${ref.file}`,
        },
      )
    }
    return (await readFile(ref.file, 'utf8')).replace(/\r?\n$/, '')
  }
  if (ref.env !== undefined) {
    const value = env[ref.env]
    if (!value) {
      throw new HookInputError(`the ${what} variable ${ref.env} is not set`, {
        hint: `set ${ref.env} in the agent's environment (e.g. a systemd EnvironmentFile) and list it in the agent config's hooks.passEnv`,
      })
    }
    return value
  }
  return undefined
}

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0')
}
