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
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const { generateKey, writeKeyFile } = await import('@ipfo/core/agent')
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const perNode = (file: (node: N) => string) =>
    Object.fromEntries(stage.nodes.map((node) => [node, file(node)])) as Record<N, string>
  const socket = perNode((node) => join(dir, `${node}.sock`))
  const config = perNode((node) => join(dir, `${node}.json`))
  for (const node of stage.nodes) {
    const paths = { socket: socket[node], stateDir: join(dir, `${node}-state`) }
    await writeFile(
      config[node],
      JSON.stringify({ node, key, paths, ...stage.config(node), ...extra[node] }, null, 2),
    )
  }
  return { key, config, socket }
}
