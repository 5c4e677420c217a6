import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stage } from './stage.js'

/** The files of a stage's nodes: one heartbeat key, and a config and a control socket per node. */
export interface NodeFiles<N extends string = 'a' | 'b'> {
  readonly key: string
  readonly config: Readonly<Record<N, string>>
  readonly socket: Readonly<Record<N, string>>
}

/** Config sections added to a node's config (tests: `hooks`, for instance). */
export type ExtraConfig<N extends string = 'a' | 'b'> = Partial<Record<N, Record<string, unknown>>>

/** Writes a fresh heartbeat key and every node's config for a stage into `dir`. */
export async function writeNodeFiles<N extends string>(
  stage: Stage<N>,
  dir: string,
  extra: ExtraConfig<N> = {},
): Promise<NodeFiles<N>> {
  const configs = {} as Record<N, Record<string, unknown>>
  for (const node of stage.nodes) configs[node] = { ...stage.config(node), ...extra[node] }
  return writeConfigFiles(dir, configs)
}

/**
 * Writes a fresh heartbeat key into `dir` and each node's config (`configs`, minus node, key and
 * paths, which this adds: a control socket and a state folder per node in `dir`).
 */
export async function writeConfigFiles<N extends string>(
  dir: string,
  configs: Readonly<Record<N, Record<string, unknown>>>,
): Promise<NodeFiles<N>> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const { generateKey, writeKeyFile } = await import('@ipfo/core/agent')
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const nodes = Object.keys(configs) as N[]
  const perNode = (file: (node: N) => string) =>
    Object.fromEntries(nodes.map((node) => [node, file(node)])) as Record<N, string>
  const socket = perNode((node) => join(dir, `${node}.sock`))
  const config = perNode((node) => join(dir, `${node}.json`))
  for (const node of nodes) {
    const paths = { socket: socket[node], stateDir: join(dir, `${node}-state`) }
    await writeFile(config[node], JSON.stringify({ node, key, paths, ...configs[node] }, null, 2))
  }
  return { key, config, socket }
}
