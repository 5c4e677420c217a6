import { fileURLToPath } from 'node:url'

/** The `ipfo` executable of this package: what the service unit runs, and the demo's agents too. */
export const IPFO_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/**
 * The Node.js flags the agent runs with where it is installed (the systemd unit and the launchd
 * plist), for agents started as `node <bin>`; the demo starts its agents the same way.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'] as const
