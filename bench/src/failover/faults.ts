/**
 * node-death: a's cables are pulled and everything of its daemon killed with SIGKILL (its process
 * group, and what it runs outside it: ipfo's guard; a dead machine runs nothing); later a "reboots":
 * its VIP is gone, the cables are back, the daemon starts again (failback).
 * link-cut: a's cables are pulled while its daemon runs on (a split brain for any system that
 * keeps the VIP without carrier); later the cables come back (heal).
 * daemon-crash: the daemon alone dies (kill -9 of its process group; an OOM kill, a crash): the
 * host, its kernel, its cables, the service and the VIP on its interface stay. Later the daemon is
 * started again (the VIP may still be on the interface, as after a crash).
 * service-death: the service on a dies (kill -9 of its process group: what the client talks to, and
 * what the health checks look at); a's daemon, host, cables and VIP stay. The pair runs a health
 * check of the service (ipfo: an http check; keepalived: a vrrp_script; ucarp has none and is left
 * out). Later the service is started again and the VIP comes back (failback).
 * partition: the holder is cut off from the other node on every link and from every etcd member by
 * nftables in its namespace, while its cables stay in and the client still reaches it (partition.ts):
 * the split brain that only a quorum prevents. Later the table goes (heal).
 */
export type Fault = 'node-death' | 'link-cut' | 'daemon-crash' | 'service-death' | 'partition'

export const FAULTS: readonly Fault[] = [
  'node-death',
  'link-cut',
  'daemon-crash',
  'service-death',
  'partition',
]
