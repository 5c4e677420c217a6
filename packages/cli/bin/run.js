#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation keeps a long-running agent's RSS about 10 MB lower at fast heartbeat
// intervals, for a few more (cheap) scavenges. AGENT_NODE_FLAGS in src/demo/agent-process.ts matches it.
import { execute } from '@oclif/core'

await execute({ dir: import.meta.url })
