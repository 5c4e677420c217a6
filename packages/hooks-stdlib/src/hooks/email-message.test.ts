import type { HookStage } from '@ipfo/core'
import { describe, expect, it } from 'vitest'
import { invocation } from '../../test/hook-invocation.js'
import { readHookEvent } from '../define-hook.js'
import { anomalyMail, eventHeadline, eventMail } from './email-message.js'

describe('eventMail', () => {
  it('says what happened in the subject, per phase', async () => {
    const at = async (stage: HookStage, action: 'acquire' | 'release' = 'acquire') => {
      const { env, argv } = invocation({ stage, action })
      return eventHeadline(await readHookEvent(env, argv))
    }
    expect(await at('PreAcq')).toBe('b is taking over 192.168.1.100/24, fd00::100/64 from a')
    expect(await at('PostAcq')).toBe('b took over 192.168.1.100/24, fd00::100/64 from a')
    expect(await at('PreRel', 'release')).toBe('b is releasing 192.168.1.100/24, fd00::100/64 back to a')
    expect(await at('PostRel', 'release')).toBe('b released 192.168.1.100/24, fd00::100/64 back to a')
  })

  it('lists no hooks when none ran, and leaves out detection for an operator action', async () => {
    const { env, argv } = invocation({ detectionMs: undefined, peer: undefined, reason: 'operator takeover' })
    const mail = eventMail(await readHookEvent(env, argv))
    expect(mail.text).toContain('Hooks run so far in this checklist:\n  (none)')
    expect(mail.text).toContain('Peer:       (none)')
    expect(mail.text).not.toContain('Detection')
  })
})

describe('anomalyMail', () => {
  it('tells which link is silent, and that nothing was taken over', () => {
    const mail = anomalyMail({
      node: 'b',
      peer: 'a',
      up: ['public'],
      down: ['private'],
      time: Date.UTC(2026, 10, 25, 10),
    })
    expect(mail.subject).toBe('[ipfo] network anomaly on b: a is silent on private')
    expect(mail.text).toContain('a still sends heartbeats on: public')
    expect(mail.text).toContain('but nothing has been heard from it on:    private')
    expect(mail.text).toContain('No address was taken over: a is alive.')
    expect(mail.text).toContain('Time: 2026-11-25T10:00:00.000Z')
  })
})
