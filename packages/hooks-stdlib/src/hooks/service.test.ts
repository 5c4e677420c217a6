import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { invocation } from '../../test/hook-invocation.js'
import { readHookEvent } from '../define-hook.js'
import { systemDeps } from '../main.js'
import { parseHookOptions } from '../sidecar.js'
import { controlService, serviceHook } from './service.js'

const options = (raw: Record<string, unknown>) => parseHookOptions(serviceHook, raw)

async function run(
  raw: Record<string, unknown>,
  action: 'acquire' | 'release',
  runner = new RecordingRunner(),
) {
  const { env, argv } = invocation({ action, stage: action === 'acquire' ? 'PostAcq' : 'PreRel' })
  const event = await readHookEvent(env, argv)
  const outcome = await serviceHook.run(event, options(raw), systemDeps({}, { runner }))
  return { outcome, lines: runner.lines(), runner }
}

describe('service hook with systemd', () => {
  it('starts the unit on acquire and checks that it is active', async () => {
    const { outcome, lines } = await run({ unit: 'nginx.service', manager: 'systemd' }, 'acquire')
    expect(lines).toEqual(['systemctl start nginx.service', 'systemctl is-active nginx.service'])
    expect(outcome).toEqual({ ok: true, summary: 'systemctl start nginx.service: done' })
  })

  it('stops it on release', async () => {
    const { lines } = await run({ unit: 'nginx.service', manager: 'systemd' }, 'release')
    expect(lines).toEqual(['systemctl stop nginx.service'])
  })

  it('does what onAcquire/onRelease say, or nothing', async () => {
    const restart = await run({ unit: 'smb', manager: 'systemd', onAcquire: 'restart' }, 'acquire')
    expect(restart.lines).toEqual(['systemctl restart smb', 'systemctl is-active smb'])
    const reload = await run({ unit: 'smb', manager: 'systemd', onRelease: 'reload' }, 'release')
    expect(reload.lines).toEqual(['systemctl reload smb'])
    const none = await run({ unit: 'smb', manager: 'systemd', onRelease: 'none' }, 'release')
    expect(none.lines).toEqual([])
  })

  it('fails with the error and a journalctl hint when the unit does not start', async () => {
    const runner = new RecordingRunner().respond('systemctl start', {
      exitCode: 1,
      stderr: 'Job for nginx.service failed.',
    })
    const { outcome } = await run({ unit: 'nginx.service', manager: 'systemd' }, 'acquire', runner)
    expect(outcome.ok).toBe(false)
    expect(outcome.summary).toBe(
      'systemctl start nginx.service failed (exit 1): Job for nginx.service failed. (see journalctl -u nginx.service)',
    )
  })

  it('fails when the unit is not active after starting', async () => {
    const runner = new RecordingRunner().respond('systemctl is-active', { exitCode: 3, stdout: 'failed\n' })
    const { outcome } = await run({ unit: 'nginx.service', manager: 'systemd' }, 'acquire', runner)
    expect(outcome).toMatchObject({
      ok: false,
      summary: expect.stringMatching(/^nginx.service is failed after start/),
    })
  })

  it('defaults to systemd off macOS and launchd on it', async () => {
    const runner = new RecordingRunner()
    await controlService('stop', options({ unit: 'x' }), runner, 'linux')
    await controlService('stop', options({ unit: 'x' }), runner, 'darwin')
    expect(runner.lines()).toEqual([
      'systemctl stop x',
      'launchctl print system/x',
      'launchctl bootout system/x',
    ])
  })
})

describe('service hook with launchd', () => {
  const job = { unit: 'org.nginx.nginx', manager: 'launchd' }

  it('bootstraps a job that is not loaded, then kickstarts it', async () => {
    const runner = new RecordingRunner().respond('launchctl print', { exitCode: 113 })
    const { lines, outcome } = await run(job, 'acquire', runner)
    expect(lines).toEqual([
      'launchctl print system/org.nginx.nginx',
      'launchctl bootstrap system /Library/LaunchDaemons/org.nginx.nginx.plist',
      'launchctl kickstart system/org.nginx.nginx',
    ])
    expect(outcome.ok).toBe(true)
  })

  it('restarts a loaded job with kickstart -k', async () => {
    const { lines } = await run({ ...job, onAcquire: 'restart' }, 'acquire')
    expect(lines).toEqual([
      'launchctl print system/org.nginx.nginx',
      'launchctl kickstart -k system/org.nginx.nginx',
    ])
  })

  it('boots a loaded job out on release, and succeeds when it is not loaded', async () => {
    expect((await run(job, 'release')).lines).toEqual([
      'launchctl print system/org.nginx.nginx',
      'launchctl bootout system/org.nginx.nginx',
    ])
    const runner = new RecordingRunner().respond('launchctl print', { exitCode: 113 })
    const notLoaded = await run(job, 'release', runner)
    expect(notLoaded.lines).toEqual(['launchctl print system/org.nginx.nginx'])
    expect(notLoaded.outcome).toEqual({
      ok: true,
      summary: 'system/org.nginx.nginx is not loaded: already stopped',
    })
  })

  it('reloads with SIGHUP, using the given plist when it has to bootstrap', async () => {
    expect((await run({ ...job, onRelease: 'reload' }, 'release')).lines).toEqual([
      'launchctl print system/org.nginx.nginx',
      'launchctl kill SIGHUP system/org.nginx.nginx',
    ])
    const runner = new RecordingRunner().respond('launchctl print', { exitCode: 113 })
    const custom = await run({ ...job, plist: '/opt/nginx/nginx.plist' }, 'acquire', runner)
    expect(custom.lines[1]).toBe('launchctl bootstrap system /opt/nginx/nginx.plist')
  })
})
