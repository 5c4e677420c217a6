import type { Etcd3, IKeyValue, Watcher } from 'etcd3'
import type { HolderChange } from '../../model/coordination.js'
import { readHolder } from './holder-txn.js'

/** Before a watch the server cancelled is opened again. */
const REOPEN_MS = 500
/** A read of the key to start over from; tried again after REOPEN_MS when it fails. */
const READ_TIMEOUT_MS = 2_000

/**
 * Watches one holder key through the client over all members: when the member serving the watch
 * goes away, the library opens it again on another from the revision it had seen, so no change is
 * missed. When the server cancels the watch (its history was compacted past that revision), it is
 * opened again from now, first saying what the key holds now: a taker never waits on a delete it
 * will not hear.
 */
export function watchHolder(
  client: Etcd3,
  key: string,
  onChange: (change: HolderChange) => void,
  afterRevision?: string,
): () => void {
  let watcher: Watcher | undefined
  let closed = false

  const open = (fromRevision: string | undefined) => {
    const builder = client.watch().key(key)
    if (fromRevision !== undefined) builder.startRevision(fromRevision)
    const current = builder.watcher()
    watcher = current
    current.on('put', (kv: IKeyValue) =>
      onChange({ kind: 'put', holder: kv.value.toString('utf8'), revision: kv.mod_revision }),
    )
    current.on('delete', (kv: IKeyValue) => onChange({ kind: 'delete', revision: kv.mod_revision }))
    // Without a listener an 'error' event would throw out of the library's stream handler.
    current.on('error', () => {
      current.cancel().catch(() => undefined)
      if (watcher === current) watcher = undefined
      setTimeout(startOver, REOPEN_MS)
    })
  }

  const startOver = async () => {
    if (closed) return
    try {
      const { held, revision } = await readHolder(client, key, new Date(Date.now() + READ_TIMEOUT_MS))
      if (closed) return
      onChange(
        held
          ? { kind: 'put', holder: held.value.toString('utf8'), revision: held.mod_revision }
          : { kind: 'delete', revision },
      )
      open((BigInt(revision) + 1n).toString())
    } catch {
      setTimeout(startOver, REOPEN_MS)
    }
  }

  open(afterRevision === undefined ? undefined : (BigInt(afterRevision) + 1n).toString())
  return () => {
    closed = true
    watcher?.cancel().catch(() => undefined)
    watcher = undefined
  }
}
