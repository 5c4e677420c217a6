/**
 * The example config files of the configuration reference. The generator checks both with
 * @ipfo/core's checkConfig and fails the build if either is no longer valid, and the per-field
 * examples are read from COMPLETE, so every example on the page is one the agent accepts.
 */

/** Node "alpha" of a two-node pair, with only what has no default plus the addresses. */
export const SMALL = `node: alpha
key: /etc/ipfo/heartbeat.key
links:
  - name: private
    targets: [10.0.0.2]
owns:
  - interface: eth0
    address: 192.168.1.10/24
peers:
  - id: beta
    takeover:
      - interface: eth0
        address: 192.168.1.11/24
`

/** The same node with every section written out. */
export const COMPLETE = `$schema: https://ipfo.dev/schema/config.json
node: alpha
key: /etc/ipfo/heartbeat.key
acceptKeys: [/etc/ipfo/heartbeat-old.key]
port: 1694
interval: 500ms
deadAfter: 2s
links:
  - name: private
    targets: [10.0.0.2]
  - name: public
    listen: 0.0.0.0
    port: 1695
    targets: ["192.168.1.11", "192.168.1.255:1695"]
owns:
  - interface: eth0
    address: 192.168.1.10/24
    requires: [web, uplink]
takers: [beta, gamma]
peers:
  - id: beta
    takeover:
      - interface: eth0
        address: 192.168.1.11/24
        requires: [web]
      - interface: eth0
        address: fd00::11/64
    takers: [alpha, gamma]
  - id: gamma
checks:
  web:
    kind: https
    url: https://127.0.0.1/health
    expect: [200, 204]
    bodyMatch: ok
    ca: /etc/ipfo/web-ca.pem
    interval: 100ms
    timeout: 80ms
    fall: 2
    rise: 3
    initial: failing
  db:
    kind: tcp
    host: 127.0.0.1
    port: 5432
  haproxy:
    kind: exec
    argv: [/usr/local/bin/check-haproxy, --quick]
    interval: 1s
  uplink:
    kind: interface
    interface: eth0
onAllUnfit: keep
failback:
  policy: stable
  stableFor: 1m
  claimTimeout: 90s
announce:
  count: 5
  interval: 200ms
arbitration:
  probe: true
  witness: [192.168.1.1]
  timeout: 300ms
scheduling:
  nice: -10
  realtimePriority: 5
onCarrierLoss: release
carrierSettle: 2s
coordination:
  kind: etcd
  endpoints: [https://10.0.0.21:2379, https://10.0.0.22:2379, https://10.0.0.23:2379]
  tls:
    ca: /etc/ipfo/etcd-ca.pem
    cert: /etc/ipfo/etcd-alpha.pem
    key: /etc/ipfo/etcd-alpha-key.pem
  user: ipfo-alpha
  passwordFile: /etc/ipfo/etcd-password
  prefix: /ipfo/
  leaseTtl: 5s
  margin: 1250ms
  onQuorumLoss: release
metrics:
  listen: 127.0.0.1:9694
  path: /metrics
  defaultMetrics: true
onStop: release
paths:
  socket: /run/ipfo/ipfo.sock
  stateDir: /var/lib/ipfo
  eventLog: /var/log/ipfo/events.jsonl
hooks:
  dir: /etc/ipfo/hooks
  timeout: 30s
  user: ipfo-hooks
  emailRecipient: ops@example.com
  passEnv: [SMTP_PASSWORD]
  phases:
    Test:
      timeout: 10s
      strict: true
    PreAcq:
      timeout: 2m
      strict: true
    PostAcq:
      timeout: 5m
      strict: false
    PreRel:
      timeout: 1m
      strict: true
    PostRel:
      timeout: 1m
      strict: false
`
