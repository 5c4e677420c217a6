import { readFile } from 'node:fs/promises'

/** Where the agent's config lives unless --config says otherwise. */
export const DEFAULT_CONFIG = '/etc/ipfo/ipfo.yaml'
export const DEFAULT_SOCKET = '/run/ipfo/ipfo.sock'

/**
 * A string field of the config file, read without the schema (core's peekConfigField); undefined
 * when the file cannot be read or does not set it. An unreadable file is not an error here: the
 * commands that peek have a default.
 */
export async function peekConfigFile(file: string, path: [string, string]): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const { peekConfigField } = await import('@ipfo/core/config-peek')
  return peekConfigField(text, file, path)
}

/** The agent's control socket: --socket, else `paths.socket` of --config, else the default. */
export async function socketPath(flags: { config: string; socket?: string | undefined }): Promise<string> {
  if (flags.socket) return flags.socket
  return (await peekConfigFile(flags.config, ['paths', 'socket'])) ?? DEFAULT_SOCKET
}
