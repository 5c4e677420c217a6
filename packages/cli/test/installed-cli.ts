import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const CLI_DIR = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)

/**
 * A copy of the built CLI as an installed package has it: bin, dist, package.json and the oclif
 * manifest that `npm pack` adds (generated here, in the copy: packages/cli itself never gets one, the
 * repository's tests run without it), with the repository's node_modules beside it.
 */
export async function stageInstalledCli(): Promise<{ root: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'ipfo-installed-cli-'))
  for (const part of ['bin', 'dist', 'package.json'])
    await cp(join(CLI_DIR, part), join(root, part), { recursive: true })
  // .../node_modules/@oclif/core/package.json -> .../node_modules
  const modules = dirname(dirname(dirname(require.resolve('@oclif/core/package.json'))))
  await symlink(modules, join(root, 'node_modules'))
  const oclifBin = join(dirname(require.resolve('oclif/package.json')), 'bin', 'run.js')
  await run(process.execPath, [oclifBin, 'manifest'], { cwd: root })
  return { root, remove: () => rm(root, { recursive: true, force: true }) }
}
