import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process'

/** Sends sd_notify messages ("READY=1\nSTATUS=...") to systemd's NOTIFY_SOCKET, each as one datagram. */
export interface NotifySender {
  send(message: string): void
  /** Closes the helper's input: it sends what it was given, then exits. */
  close(): void
}

/**
 * Node has no unix datagram sockets, so one helper process sends the datagrams for the agent's whole
 * life, started once as the agent command starts, before any heartbeat: starting a process stalls
 * Node's event loop for 5-20 ms (a per-message `systemd-notify` did that at every watchdog pet). The
 * unit's NotifyAccess=all lets systemd accept messages from this child rather than the main pid.
 *
 * The helper is perl: perl-base is Essential on Debian and Ubuntu, so it is always there, and its
 * Socket module does SOCK_DGRAM and abstract names ("@..." in NOTIFY_SOCKET). python3 (RHEL and
 * Fedora, where perl is optional) is the fallback. Not socat: it sends whatever one read of its
 * input returns, so two messages that meet in the pipe would leave as one datagram.
 *
 * Messages end with a NUL on the helper's input (a message is several "KEY=value" lines, and sd_notify
 * strings never hold a NUL); each becomes one sendto. The address is resolved on every send, as
 * sd_notify does, so a systemd re-exec (which binds the socket again) loses nothing. The helper exits at
 * end of input, which includes the agent dying. A helper missing or dead is reported once; there is
 * no second start (it would stall the loop again), so systemd's watchdog restarts the agent instead.
 */
export function notifySender(opts: {
  /** NOTIFY_SOCKET: a path, or "@name" for an abstract socket. */
  readonly socket: string
  readonly report: (message: string) => void
  /** The agent's environment: PATH finds the helper. */
  readonly env: NodeJS.ProcessEnv
  /** The helpers to try, in order (tests pass a missing one). */
  readonly helpers?: readonly Helper[]
  readonly spawn?: typeof nodeSpawn
}): NotifySender {
  const spawn = opts.spawn ?? nodeSpawn
  // LC_ALL=C: perl warns at every start about a LANG whose locale is not installed.
  const env = { ...opts.env, LC_ALL: 'C' }
  const tried: string[] = []
  let child: ChildProcess | undefined
  for (const helper of opts.helpers ?? NOTIFY_HELPERS) {
    // Its stderr is the agent's (the journal): a send that fails is told there, once per run of
    // failures. Its own session: a Ctrl-C or a closed terminal reaches the agent alone, which then
    // still says STOPPING=1 through it.
    const candidate = spawn(helper.command, [...helper.args, opts.socket], {
      env,
      stdio: ['pipe', 'ignore', 'inherit'],
      detached: true,
    })
    candidate.on('error', () => undefined)
    // A program that cannot be started has no pid as soon as spawn returns.
    if (candidate.pid !== undefined) {
      child = candidate
      break
    }
    tried.push(helper.command)
  }
  if (!child) {
    opts.report(
      `cannot tell systemd anything (readiness, watchdog): none of ${tried.join(', ')} could be started; install perl`,
    )
    return { send: () => {}, close: () => {} }
  }
  const helper = child
  let alive = true
  let closing = false
  helper.stdin?.on('error', () => undefined)
  helper.once('exit', (code, signal) => {
    alive = false
    if (!closing)
      opts.report(
        `the systemd notify helper (${helper.spawnfile}, pid ${helper.pid}) exited (${signal ?? `code ${code}`}): systemd hears nothing more from this agent, and a unit with WatchdogSec restarts it`,
      )
  })
  // The helper must not keep an agent that is done from exiting (its idle input pipe does not).
  helper.unref()
  return {
    send(message) {
      if (alive && !closing) helper.stdin?.write(`${message.replaceAll('\0', ' ')}\0`)
    },
    close() {
      if (closing) return
      closing = true
      helper.stdin?.end()
    },
  }
}

/** A program that reads NUL-terminated messages on its input and sends each as one datagram. */
export interface Helper {
  readonly command: string
  /** The socket's address is added as the last argument. */
  readonly args: readonly string[]
}

const PERL = `use strict; use Socket;
my $address = shift; $address =~ s/^@/\\0/;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "ipfo notify helper: socket: $!\\n";
my $to = pack_sockaddr_un($address);
my $failing = 0;
$/ = "\\0";
while (my $message = <STDIN>) {
  chomp $message;
  if (send($s, $message, 0, $to)) { $failing = 0 }
  elsif (!$failing++) { print STDERR "ipfo notify helper: sending to NOTIFY_SOCKET: $!\\n" }
}`

const PYTHON = `import os, socket, sys
address = sys.argv[1]
if address.startswith('@'): address = '\\0' + address[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
pending, failing = b'', False
while True:
    chunk = os.read(0, 65536)
    if not chunk: break
    *messages, pending = (pending + chunk).split(b'\\0')
    for message in messages:
        try:
            s.sendto(message, address)
            failing = False
        except OSError as error:
            if not failing: print('ipfo notify helper: sending to NOTIFY_SOCKET:', error, file=sys.stderr, flush=True)
            failing = True`

/** perl first (always on Debian and Ubuntu), then python3; `-I`: no PYTHON* variables, no user site. */
export const NOTIFY_HELPERS: readonly Helper[] = [
  { command: 'perl', args: ['-e', PERL, '--'] },
  { command: 'python3', args: ['-I', '-c', PYTHON] },
]
