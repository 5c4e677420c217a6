import { describe, expect, it } from 'vitest'
import { briefLine, helloLine, parseGuardLine, STAND_DOWN_LINE, wordLine } from './guard-protocol.js'

const A = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 } as const
const HELLO = {
  node: 'a',
  platform: 'linux' as const,
  links: [
    { name: 'private', listen: '10.1.0.1', targets: [{ host: '10.1.0.2', port: 1694 }] },
    { name: 'public', targets: [{ host: 'fd00::2', port: 1694 }] },
  ],
  log: 1,
  eventLog: '/var/log/ipfo.jsonl',
  stateDir: '/var/lib/ipfo',
}

describe('the guard protocol', () => {
  it('reads back every line the agent writes, as written', () => {
    expect(parseGuardLine(helloLine(HELLO))).toEqual({ t: 'hello', ...HELLO })
    const { eventLog: _, ...noEventLog } = HELLO
    expect(parseGuardLine(helloLine({ ...noEventLog, log: '/var/log/ipfo.log' }))).toEqual({
      t: 'hello',
      ...noEventLog,
      log: '/var/log/ipfo.log',
    })
    expect(
      parseGuardLine(briefLine({ handOver: [A], keep: [{ ...A, family: 6, ip: 'fd00::5', prefix: 64 }] })),
    ).toEqual({
      t: 'brief',
      handOver: [A],
      keep: [{ ...A, family: 6, ip: 'fd00::5', prefix: 64 }],
    })
    expect(parseGuardLine(wordLine([{ link: 'lan', data: new Uint8Array([7, 8]) }]))).toEqual({
      t: 'word',
      words: [{ link: 'lan', data: 'Bwg=' }],
    })
    expect(parseGuardLine(STAND_DOWN_LINE)).toEqual({ t: 'stand-down' })
  })

  it('names the field of a line it cannot read', () => {
    const bad: [string, RegExp][] = [
      ['not json', /^guard message is not JSON: not json/],
      ['[1]', /^guard message \(root\): expected an object/],
      ['{"t":"hi"}', /^guard message t: expected hello, brief, word or stand-down/],
      ['{"t":"brief","handOver":"10.0.0.100"}', /^guard message handOver: expected a list/],
      [
        '{"t":"brief","handOver":[],"keep":[{"interface":"eth0","ip":"x","prefix":200,"family":4}]}',
        /^guard message keep\.0\.prefix: expected a whole number from 0 to 128/,
      ],
      [
        '{"t":"brief","handOver":[{"interface":"eth0","ip":"x","prefix":24,"family":5}],"keep":[]}',
        /^guard message handOver\.0\.family: expected 4 or 6/,
      ],
      [
        '{"t":"word","words":[{"link":"","data":"x"}]}',
        /^guard message words\.0\.link: expected a non-empty string/,
      ],
      [
        JSON.stringify({ t: 'hello', ...HELLO, links: [{ name: 'p', targets: [{ host: 'h', port: 0 }] }] }),
        /^guard message links\.0\.targets\.0\.port: expected a whole number from 1 to 65535/,
      ],
      [
        JSON.stringify({ t: 'hello', ...HELLO, platform: 'win32' }),
        /^guard message platform: expected linux or darwin/,
      ],
      [
        JSON.stringify({ t: 'hello', ...HELLO, log: 0 }),
        /^guard message log: expected a file descriptor or a path/,
      ],
    ]
    for (const [line, message] of bad) expect(() => parseGuardLine(line), line).toThrow(message)
  })
})
