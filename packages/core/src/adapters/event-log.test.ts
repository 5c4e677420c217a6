import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { eventLogger } from './event-log.js'

describe('the event log', () => {
  it('writes a JSON line per event, its time when the event happened, not when it was written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-log-'))
    try {
      const file = join(dir, 'events.log')
      const log = eventLogger(file)
      const happened = Date.now() - 5_000
      log({ kind: 'peer-lost', peer: 'b', silentForMs: 301, links: ['private'], time: happened })
      log.flush()
      const [line] = (await readFile(file, 'utf8')).trim().split('\n')
      const written = JSON.parse(line!) as Record<string, unknown>
      expect(written).toMatchObject({
        kind: 'peer-lost',
        peer: 'b',
        time: new Date(happened).toISOString(),
        eventTime: new Date(happened).toISOString(),
        level: 40,
      })
      expect(written.msg).toMatch(/b lost/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
