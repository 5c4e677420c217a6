import { describe, expect, it } from 'vitest'
import { briefLine, helloLine, STAND_DOWN_LINE, wordLine } from './guard-protocol.js'

/** The lines as the guard splits them: a word, then fields separated by one space, percent-decoded. */
const fieldsOf = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map((f, i) => (i === 0 ? f : decodeURIComponent(f))))

describe('the guard protocol', () => {
  it('writes one line a message (and one a link), each value a field of its own whatever it holds', () => {
    const hello = helloLine({
      node: 'a b\nc',
      platform: 'linux',
      links: [
        { name: 'private', listen: '10.1.0.1', targets: [{ host: '10.1.0.2', port: 1694 }] },
        {
          name: 'public',
          targets: [
            { host: 'fe80::2%eth0', port: 1694 },
            { host: '10.0.0.3', port: 1700 },
          ],
        },
      ],
      log: 1,
      eventLog: '/var/log/ipfo events.jsonl',
      stateDir: '/var/lib/ipfo 100%',
      agentPid: 4242,
    })
    expect(hello.endsWith('\n')).toBe(true)
    expect(fieldsOf(hello)).toEqual([
      ['hello', 'a b\nc', 'linux', '1', '', '/var/log/ipfo events.jsonl', '/var/lib/ipfo 100%', '4242'],
      ['link', 'private', '10.1.0.1', '10.1.0.2', '1694'],
      ['link', 'public', '', 'fe80::2%eth0', '1694', '10.0.0.3', '1700'],
    ])
    expect(
      fieldsOf(
        helloLine({ node: 'a', platform: 'darwin', links: [], log: '/l og', stateDir: '/s', agentPid: 7 }),
      ),
    ).toEqual([['hello', 'a', 'darwin', '', '/l og', '', '/s', '7']])
    const A = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 } as const
    const B = { interface: 'eth1', ip: 'fd00::5', prefix: 64, family: 6 } as const
    expect(fieldsOf(briefLine({ handOver: [A], keep: [B] }))).toEqual([
      ['brief', 'h', 'eth0', '10.0.0.100', '24', '4', 'k', 'eth1', 'fd00::5', '64', '6'],
    ])
    expect(fieldsOf(briefLine({ handOver: [], keep: [] }))).toEqual([['brief']])
    expect(
      fieldsOf(
        wordLine([
          { link: 'lan', data: new Uint8Array([7, 8, 255]) },
          { link: 'back', data: new Uint8Array([]) },
        ]),
      ),
    ).toEqual([['word', 'lan', '0708ff', 'back', '']])
    expect(STAND_DOWN_LINE).toBe('stand-down\n')
  })
})
