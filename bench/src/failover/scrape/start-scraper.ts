import { fileURLToPath } from 'node:url'
import { ProcessGroup } from '../process-group.js'
import { METRICS_PORT } from '../settings.js'
import type { NodeName, Stage } from '../stage.js'
import { mustUntil } from '../wait.js'
import type { Scrape } from './scrape-summary.js'

const SCRAPER = fileURLToPath(new URL('./scraper.js', import.meta.url))

/** The client's scraper of every node's /metrics (scraper.js), and what each scrape gave. */
export interface Scraper {
  readonly scrapes: readonly Scrape[]
  /** Its process group, for its own CPU (it is not the agents'). */
  readonly pgid: number
  stop(): Promise<void>
}

/**
 * Starts scraper.js in the client's namespace, GETting each node's /metrics on its public address
 * every `everyMs` (a scrape not answered within 10 intervals fails).
 */
export async function startScraper(stage: Stage, everyMs: number): Promise<Scraper> {
  const node = new Map<string, NodeName>(
    stage.nodes.map((n) => [`http://${stage.publicIp(n)}:${METRICS_PORT}/metrics`, n]),
  )
  const scrapes: Scrape[] = []
  let ready = false
  const group = new ProcessGroup(
    'scraper',
    [
      'ip',
      'netns',
      'exec',
      stage.ns('client'),
      process.execPath,
      SCRAPER,
      String(everyMs),
      String(everyMs * 10),
      ...node.keys(),
    ],
    {
      keepLines: false,
      onLine: (line) => {
        const scrape = parseScrapeLine(line.text, node)
        if (scrape === 'ready') ready = true
        else if (scrape) scrapes.push(scrape)
      },
    },
  )
  await mustUntil('the scraper to start', () => ready, 10_000)
  return { scrapes, pgid: group.pid!, stop: () => group.kill() }
}

/** One line of scraper.js: a scrape of a known node, "ready", or undefined (anything else). */
export function parseScrapeLine(
  text: string,
  nodes: ReadonlyMap<string, NodeName>,
): Scrape | 'ready' | undefined {
  let line: {
    ready?: boolean
    url?: string
    at?: number
    ok?: boolean
    skipped?: boolean
    ms?: number
    render?: number
    bytes?: number
  }
  try {
    line = JSON.parse(text)
  } catch {
    return undefined
  }
  if (line.ready) return 'ready'
  const node = nodes.get(line.url ?? '')
  if (!node || typeof line.at !== 'number') return undefined
  return {
    node,
    at: line.at,
    ok: line.ok === true,
    ...(line.skipped ? { skipped: true } : {}),
    ...(typeof line.ms === 'number' ? { ms: line.ms } : {}),
    ...(typeof line.render === 'number' ? { renderSeconds: line.render } : {}),
    ...(typeof line.bytes === 'number' ? { bytes: line.bytes } : {}),
  }
}
