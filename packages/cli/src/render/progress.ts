/** What a long-running command tells a person while they wait. */
export interface Progress {
  /** What is being done now ("checking the firewall"). */
  update(status: string): void
  /** Ends the display, leaving `summary` after the title. */
  stop(summary?: string): void
}

const QUIET: Progress = { update() {}, stop() {} }

/**
 * A spinner on stderr (oclif's `ux.action`: lines printed meanwhile go above it) when `live`, else
 * nothing at all: piped output, --json and CI logs stay exactly as they were. Decide `live` with
 * liveOutput() from style.ts, and pass false with --json.
 */
export async function startProgress(live: boolean, title: string, status?: string): Promise<Progress> {
  if (!live) return QUIET
  const { ux } = await import('@oclif/core/ux')
  ux.action.start(title, status)
  return {
    update(next) {
      ux.action.status = next
    },
    stop(summary) {
      ux.action.stop(summary)
    },
  }
}
