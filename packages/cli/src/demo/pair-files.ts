import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stage } from './stage.js'

export interface PairFiles {
  readonly key: string
  readonly config: { readonly a: string; readonly b: string }
  readonly socket: { readonly a: string; readonly b: string }
}

/** Config sections added to a node's config (tests: `hooks`, for instance). */
export type ExtraConfig = Partial<Record<'a' | 'b', Record<string, unknown>>>

/** Writes a fresh heartbeat key and both nodes' configs for a stage into `dir`. */
export async function writePairFiles(stage: Stage, dir: string, extra: ExtraConfig = {}): Promise<PairFiles> {
  const configs = { a: { ...stage.config('a'), ...extra.a }, b: { ...stage.config('b'), ...extra.b } }
  return writeNodeFiles(dir, configs)
}

/**
 * Writes a fresh heartbeat key into `dir` and each node's config (`configs`, minus node, key and
 * paths, which this adds: a control socket and a state folder per node in `dir`).
 */
export async function writeNodeFiles<Node extends string>(
  dir: string,
  configs: Readonly<Record<Node, Record<string, unknown>>>,
): Promise<{ key: string; config: Record<Node, string>; socket: Record<Node, string> }> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const { generateKey, writeKeyFile } = await import('@ipfo/core/agent')
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const config = {} as Record<Node, string>
  const socket = {} as Record<Node, string>
  for (const node of Object.keys(configs) as Node[]) {
    socket[node] = join(dir, `${node}.sock`)
    config[node] = join(dir, `${node}.json`)
    const paths = { socket: socket[node], stateDir: join(dir, `${node}-state`) }
    await writeFile(config[node], JSON.stringify({ node, key, paths, ...configs[node] }, null, 2))
  }
  return { key, config, socket }
}
