import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

let availability: { ok: boolean; reason?: string } | undefined

/** Whether this process can build topologies: Linux, root, and a working `ip netns`. Checked once. */
export function netnsAvailable(): { ok: boolean; reason?: string } {
  availability ??= probe()
  return availability
}

function probe(): { ok: boolean; reason?: string } {
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces need Linux, not ${process.platform}` }
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'network namespaces need root (run the tests as root)' }
  const name = `ipfo-probe-${process.pid}-${randomBytes(3).toString('hex')}`
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'delete', name], { stdio: 'pipe' })
    return { ok: true }
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer }
    if (e.code === 'ENOENT') return { ok: false, reason: 'ip (iproute2) is not installed' }
    return { ok: false, reason: `ip netns does not work here: ${e.stderr?.toString().trim() || e.message}` }
  }
}
