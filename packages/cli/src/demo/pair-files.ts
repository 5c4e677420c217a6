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
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const { generateKey, writeKeyFile } = await import('@ipfo/core/agent')
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const socket = { a: join(dir, 'a.sock'), b: join(dir, 'b.sock') }
  const config = { a: join(dir, 'a.json'), b: join(dir, 'b.json') }
  for (const node of ['a', 'b'] as const) {
    const paths = { socket: socket[node], stateDir: join(dir, `${node}-state`) }
    await writeFile(
      config[node],
      JSON.stringify({ node, key, paths, ...stage.config(node), ...extra[node] }, null, 2),
    )
  }
  return { key, config, socket }
}
