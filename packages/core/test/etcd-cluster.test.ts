import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { dataParent, etcdSkipReason } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'

/** The test etcd clusters themselves: where their data goes, and that no member outlives its test process. */

const skip = etcdSkipReason()
const here = dirname(fileURLToPath(import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('test etcd clusters', () => {
  it('keep their data on /dev/shm only when it has room for every member (Docker gives it 64 MB)', async () => {
    const mib = 1024 * 1024
    expect(await dataParent(3, async () => 64 * mib)).toBe(tmpdir())
    expect(await dataParent(3, async () => 24 * 1024 * mib)).toBe('/dev/shm')
  })

  it.skipIf(skip !== undefined)(
    'leave no member running when the test process that started them is killed outright',
    async () => {
      // A test process that starts a one-member cluster, says its pid and folder, and waits to be killed.
      const script = `
        import { startEtcdCluster } from '@ipfo/testkit'
        const cluster = await startEtcdCluster({ size: 1 })
        console.log(JSON.stringify(cluster.members.map((m) => ({ pid: m.pid, dataDir: m.dataDir }))))
        setInterval(() => undefined, 1_000)
      `
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: here,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let members: { pid: number; dataDir: string }[] = []
      try {
        const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
        members = JSON.parse(line)
        expect(members.length).toBe(1)
        expect(members.every((m) => alive(m.pid))).toBe(true)
        child.kill('SIGKILL')
        const end = Date.now() + 15_000
        while (members.some((m) => alive(m.pid))) {
          if (Date.now() > end) throw new Error('an etcd member outlived the process that started it')
          await sleep(50)
        }
      } finally {
        child.kill('SIGKILL')
        for (const m of members) if (alive(m.pid)) process.kill(m.pid, 'SIGKILL')
        // Its own close() never ran: the folder is the test's to remove.
        for (const m of members) await rm(dirname(m.dataDir), { recursive: true, force: true })
      }
    },
  )
})
