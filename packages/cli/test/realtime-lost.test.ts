import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freeUdpPort } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeConfigFiles } from '../src/demo/node-files.js'
import { AGENT_NODE_FLAGS } from '../src/service/agent-command.js'
import { BIN } from './run-cli.js'

/**
 * A 5 ms agent (allowed only at real-time priority) that gets SCHED_FIFO at its check before the
 * start but not after it: a stand-in `chrt` first on its PATH says yes to the first request for
 * FIFO and no to the second. It must not run on at normal priority.
 */
const CHRT = `#!/bin/sh
case "$1" in
  -f)
    n=$(cat "$CHRT_COUNT" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$CHRT_COUNT"
    if [ "$n" -ge 2 ]; then echo "chrt: failed to set pid's policy: Operation not permitted" >&2; exit 1; fi ;;
esac
exit 0
`

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-realtime-lost-'))
  await writeFile(join(dir, 'chrt'), CHRT)
  await chmod(join(dir, 'chrt'), 0o755)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.skipIf(process.platform !== 'linux')(
  'a 5 ms agent that loses real-time priority at its start',
  () => {
    it('stops as on SIGTERM, holding nothing, and its start fails saying why', async () => {
      const port = await freeUdpPort()
      const files = await writeConfigFiles(join(dir, 'alone'), {
        a: {
          interval: '5ms',
          deadAfter: '15ms',
          scheduling: { realtimePriority: 1 },
          links: [{ name: 'private', listen: '127.0.0.1', port, targets: [`127.0.0.1:${port + 1}`] }],
          owns: [{ interface: 'demo0', address: '192.0.2.100/24' }],
          peers: [{ id: 'b' }],
        },
      })
      const held = join(dir, 'held.json')
      const child = spawn(
        process.execPath,
        [...AGENT_NODE_FLAGS, BIN, 'agent', '-c', files.config.a!, '--simulate-addresses', held, '--json'],
        {
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, CHRT_COUNT: join(dir, 'count') },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk
      })
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk
      })
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
        child.once('close', (c) => {
          clearTimeout(timer)
          resolve(c)
        })
      })
      expect(child.signalCode, output).toBeNull()
      expect(code, output).not.toBe(0)
      expect(output).toContain('stopping: an interval under 10ms is safe only at real-time priority')
      expect(output).toContain('scheduling.realtimePriority: chrt -f -R -p 1')
      expect(await readFile(join(dir, 'count'), 'utf8')).toBe('2\n')
      // Whatever it had taken, it gave back.
    })
  },
)
