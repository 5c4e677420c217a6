import { build } from 'plist'

export interface ServiceSpec {
  /** The node binary and its flags, then the ipfo executable. */
  readonly command: readonly string[]
  readonly config: string
  /** How long a stop may take: releasing addresses runs the release hooks. */
  readonly stopTimeoutSec: number
}

/**
 * The systemd unit: Type=notify (the agent says READY=1 once heartbeats run and the control socket
 * answers) with a watchdog the agent pets from its event loop, restart on failure, and hardening
 * that still lets hooks mount volumes and manage services.
 */
export function systemdUnit(spec: ServiceSpec): string {
  const exec = [...spec.command, 'agent', '--config', spec.config].map(quote).join(' ')
  return `# Written by "ipfo service install". Reinstall rather than edit: it is regenerated.
[Unit]
Description=ipfo IP failover agent
Documentation=https://ipfo.dev
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
# The agent reports readiness and pets the watchdog through a long-lived helper (perl), a child process.
NotifyAccess=all
ExecStart=${exec}
ExecReload=/bin/kill -HUP $MAINPID
WatchdogSec=10s
Restart=on-failure
RestartSec=2s
# Signals to the agent only: on SIGTERM it runs the release checklist (and its hooks) before it
# exits. Its guard must outlive a crash of the agent to act (with "mixed", systemd would SIGKILL it
# the moment the agent died); it exits on its own, and the next agent stops any hook left running.
KillMode=process
TimeoutStopSec=${spec.stopTimeoutSec}s
RuntimeDirectory=ipfo
RuntimeDirectoryMode=0700
StateDirectory=ipfo
StateDirectoryMode=0700
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=read-only
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
LockPersonality=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
`
}

/** The launchd job for macOS: started at boot, restarted if it exits, logs to /var/log/ipfo.log. */
export function launchdPlist(spec: ServiceSpec): string {
  return build({
    Label: 'dev.ipfo.agent',
    ProgramArguments: [...spec.command, 'agent', '--config', spec.config],
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ExitTimeOut: spec.stopTimeoutSec,
    StandardOutPath: '/var/log/ipfo.log',
    StandardErrorPath: '/var/log/ipfo.log',
  })
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}
