import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { socatFrames } from './socat-frames.js'

/**
 * The sender's side of the conversation, with a stand-in for socat that writes what it reads to a
 * file (test/address-linux.test.ts sends real frames with the real socat in namespaces).
 */
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-socat-frames-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms))

/** A socat stand-in: records its arguments, then copies stdin to a file (or exits 1 when told to). */
async function fakeSocat(name: string, behaviour: 'copy' | 'fail'): Promise<{ socat: string; out: string }> {
  const socat = join(dir, name)
  const out = join(dir, `${name}.out`)
  const body =
    behaviour === 'copy'
      ? `echo "$@" > '${out}.args'\nexec cat > '${out}'\n`
      : `echo "E socket(): Operation not permitted" >&2\nexit 1\n`
  await writeFile(socat, `#!/bin/sh\n${body}`)
  await chmod(socat, 0o755)
  return { socat, out }
}

describe('socatFrames', () => {
  it('hands each frame whole to one socat per interface, reading blocks of the frame size', async () => {
    const { socat, out } = await fakeSocat('socat-copy', 'copy')
    const frames = socatFrames({ socat, frameBytes: 4 })
    frames.start('pub0')
    expect(frames.send('pub0', Buffer.from('abcd'))).toBe(true)
    expect(frames.send('pub0', Buffer.from('efgh'))).toBe(true)
    // Not the frame size: refused, so the caller announces another way.
    expect(frames.send('pub0', Buffer.from('toolong'))).toBe(false)
    frames.close()
    await settle()
    expect(await readFile(out, 'utf8')).toBe('abcdefgh')
    expect((await readFile(`${out}.args`, 'utf8')).trim()).toBe('-u -b 4 STDIN INTERFACE:pub0')
  })

  it("starts socat under SCHED_FIFO at the agent's real-time priority when given one", async () => {
    const socat = join(dir, 'socat-sched')
    const out = join(dir, 'socat-sched.out')
    await writeFile(socat, `#!/bin/sh\nchrt -p $$ > '${out}'\nexec cat > /dev/null\n`)
    await chmod(socat, 0o755)
    const frames = socatFrames({ socat, frameBytes: 4, realtimePriority: 3 })
    frames.start('pub0')
    await settle()
    frames.close()
    const policy = await readFile(out, 'utf8')
    expect(policy).toContain('SCHED_FIFO')
    expect(policy).toMatch(/priority: 3$/m)
  })

  it('answers false once socat has exited, and says why', async () => {
    const { socat } = await fakeSocat('socat-fail', 'fail')
    const exits: string[] = []
    const frames = socatFrames({ socat, frameBytes: 4, onExit: (iface, m) => exits.push(`${iface}: ${m}`) })
    frames.start('pub0')
    await settle()
    expect(frames.send('pub0', Buffer.from('abcd'))).toBe(false)
    expect(exits[0]).toBe('pub0: E socket(): Operation not permitted')
    frames.close()
  })

  // Started directly, spawn fails with ENOENT; through chrt (a real-time agent), chrt says so and exits.
  it.each([
    {
      how: 'directly',
      realtimePriority: undefined,
      says: /no-socat is not installed \(not found in PATH\)$/,
    },
    { how: 'through chrt', realtimePriority: 1, says: /failed to execute .*no-socat: No such file/ },
  ])(
    'answers false when socat is not installed ($how), and stops trying',
    async ({ realtimePriority, says }) => {
      const exits: string[] = []
      const frames = socatFrames({
        socat: join(dir, 'no-socat'),
        frameBytes: 4,
        ...(realtimePriority === undefined ? {} : { realtimePriority }),
        onExit: (_, m) => exits.push(m),
      })
      frames.start('pub0')
      await settle()
      expect(frames.send('pub0', Buffer.from('abcd'))).toBe(false)
      await settle()
      expect(frames.send('pub0', Buffer.from('abcd'))).toBe(false)
      expect(exits).toHaveLength(1)
      expect(exits[0]).toMatch(says)
      frames.close()
    },
  )
})
