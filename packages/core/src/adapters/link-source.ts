/**
 * Where the carrier of every interface is read: a live stream of changes and a snapshot. The stream
 * is listened to before the snapshot is read, so a change between the two is not missed.
 */
export interface LinkSource {
  /**
   * Starts the stream: `onLink` for every link notice (an interface deleted has no carrier), `onExit`
   * when the stream ended by itself (it is started again with `listen`).
   */
  listen(onLink: (iface: string, up: boolean) => void, onExit: (why: string) => void): Promise<void>
  /** Every interface's carrier now. */
  snapshot(): Promise<Record<string, boolean>>
  close(): void
}
