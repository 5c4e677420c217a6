/**
 * The docs' hook package example (examples/ipfo-hook-route, hooks/writing) as a user meets it: packed,
 * installed globally next to the installed CLI, added with the installed `ipfo hooks add` for PostAcq
 * and PreRel, and run by real agents in namespaces. b takes the VIP over when a dies and its PostAcq
 * adds the route through the VIP; when a returns, b's PreRel takes the route away again.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { netnsAvailable } from '@ipfo/core/netns'
import { type InstalledPackages, installPacked, netnsSkipReason, runInstalled } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NamespacePair, startNamespacePair, until } from '../pair-harness.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '')
const WORKSPACES = [
  'packages/core',
  'packages/afp',
  'packages/hooks-stdlib',
  'packages/cli',
  'examples/ipfo-hook-route',
]
const ROUTE = '10.20.0.0/16'
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')

let installed: InstalledPackages | undefined
let pair: NamespacePair | undefined
let work: string | undefined

beforeAll(async () => {
  if (skip) return
  installed = await installPacked({
    root: ROOT,
    workspaces: WORKSPACES,
    spec: '@ipfo/cli',
    alsoInstall: ['@acme/ipfo-hook-route'],
  })
}, 180_000)

afterAll(async () => {
  await pair?.close()
  await installed?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

describe.skipIf(skip !== undefined)(
  `a third-party hook package, installed${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('adds its route when b takes the VIP over, and removes it in PreRel when a gets it back', async () => {
      const { prefix, modules } = installed!
      work = await mkdtemp(join(tmpdir(), 'ipfo-hook-package-'))
      const hooks = join(work, 'hooks')
      await mkdir(join(work, 'a-hooks'), { mode: 0o755 })
      await mkdir(hooks, { mode: 0o755 })
      const p = await startNamespacePair({
        config: { a: { hooks: { dir: join(work, 'a-hooks') } }, b: { hooks: { dir: hooks } } },
      })
      pair = p
      const via = p.topology.client!.public.ipv4
      for (const phase of ['PostAcq', 'PreRel']) {
        const added = await runInstalled(
          prefix,
          'ipfo',
          [
            'hooks',
            'add',
            '@acme/ipfo-hook-route',
            '--address',
            p.vipIp,
            '--phase',
            phase,
            '--dir',
            hooks,
          ].concat(['--option', `to=${ROUTE}`, '--option', `via=${via}`, '--json']),
          { cwd: work },
        )
        expect(added, added.stderr).toMatchObject({ code: 0 })
      }
      // The wrapper names the package's executable where npm installed it, next to the CLI.
      const wrapper = await readFile(join(hooks, p.vipIp, 'PostAcq-50-route'), 'utf8')
      expect(wrapper).toContain(`exec node '${join(modules, '@acme/ipfo-hook-route/dist/bin.js')}' "$@"`)

      const b = p.topology.node('b').ns
      const routeOnB = async () =>
        (await p.topology.exec(b, 'ip', ['-4', 'route', 'show', ROUTE])).stdout.trim()
      const a = p.agent('a')
      a.start()
      // b starts once a holds the VIP and the kill comes once b hears a: b's own start-up never looks
      // like a lost a. The kill is a's death: its agent killed and its links cut, as in the failover tests.
      await until('a to hold the VIP', async () => (await p.stage.holders()).join() === 'a', 15_000)
      p.agent('b').start()
      await until(
        'b to hear a',
        async () => (await p.status('b').catch(() => undefined))?.peers[0]?.alive,
        15_000,
      )
      expect(await routeOnB()).toBe('')

      await a.kill()
      await p.stage.isolate('a')
      // a's dead interface keeps its copy until it comes back; the client reaches b.
      await until('b to hold the VIP', async () => (await p.stage.holders()).includes('b'), 15_000)
      const route = await until('the route on b', routeOnB, 15_000)
      expect(route).toBe(`${ROUTE} via ${via} dev pub0 src ${p.vipIp}`)
      // The hook's line comes through b's stdout once it exited: read it when it is there.
      const postAcq = await until(
        `b's PostAcq hook-finished line`,
        () =>
          p.log.find((l) => l.node === 'b' && l.line.kind === 'hook-finished' && l.line.phase === 'PostAcq'),
        15_000,
      )
      expect(postAcq.line).toMatchObject({
        exitCode: 0,
        stdout: expect.stringContaining('route: ip route replace'),
      })

      await p.stage.revive('a')
      p.agent('a').start()
      await until('a to hold the VIP again', async () => (await p.stage.holders()).join() === 'a', 15_000)
      await until('the route gone from b', async () => (await routeOnB()) === '', 15_000)
      // The hook's line comes through b's stdout once it exited: read it when it is there.
      const preRel = await until(
        `b's PreRel hook-finished line`,
        () =>
          p.log.find((l) => l.node === 'b' && l.line.kind === 'hook-finished' && l.line.phase === 'PreRel'),
        15_000,
      )
      expect(preRel.line).toMatchObject({
        exitCode: 0,
        stdout: expect.stringContaining('route: ip route del'),
      })
    }, 120_000)
  },
)
