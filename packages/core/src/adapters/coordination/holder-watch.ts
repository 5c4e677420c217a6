import type { Etcd3, IKeyValue, Watcher } from 'etcd3'
import type { HolderChange } from '../../model/coordination.js'
import { etcdFailure, isAnswer } from './etcd-errors.js'
import { readHolder } from './holder-txn.js'

/** Before a watch the server cancelled is opened again. */
const REOPEN_MS = 500
/** Between tries while etcd refuses the watch (permissions): the administrator has to act first. */
const REFUSED_RETRY_MS = 5_000
/** A read of the key to start over from; tried again after REOPEN_MS when it fails. */
const READ_TIMEOUT_MS = 2_000

export interface HolderWatchEvents {
  /** etcd refused the watch (permission, authentication): said once per run of refusals, with the fix. */
  readonly refused: (message: string) => void
  /** onChange threw: the watch goes on, the error goes here. */
  readonly handlerFailed: (error: unknown) => void
}

/**
 * Watches one holder key through a client of its own (from `connect`; the coordinator gives it one
 * member's): when the stream breaks (the member goes away and comes back, or a client over several
 * members moves to another), the library opens it again from the revision it had seen, so no change
 * is missed. When the server cancels the watch (its history was compacted
 * past that revision), it is opened again from now, first saying what the key holds now: a taker
 * never waits on a delete it will not hear. A watch refused for an expired login is opened again
 * from where it was on a new client (a new login, a new stream).
 */
export function watchHolder(
  connect: () => Etcd3,
  key: string,
  onChange: (change: HolderChange) => void,
  events: HolderWatchEvents,
  afterRevision?: string,
): () => void {
  let client = connect()
  let watcher: Watcher | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  let closed = false
  let refusedBefore = false

  // A throw here would go up through the library's stream handler, which rethrows it (a crash).
  const tell = (change: HolderChange) => {
    try {
      onChange(change)
    } catch (error) {
      events.handlerFailed(error)
    }
  }

  const later = (ms: number, fn: () => Promise<void>) => {
    if (closed) return
    retry = setTimeout(() => void fn(), ms)
  }

  const open = (fromRevision: string | undefined) => {
    if (closed) return
    const builder = client.watch().key(key)
    if (fromRevision !== undefined) builder.startRevision(fromRevision)
    const current = builder.watcher()
    watcher = current
    current.on('put', (kv: IKeyValue) =>
      tell({ kind: 'put', holder: kv.value.toString('utf8'), revision: kv.mod_revision }),
    )
    current.on('delete', (kv: IKeyValue) => tell({ kind: 'delete', revision: kv.mod_revision }))
    current.on('connected', () => {
      refusedBefore = false
    })
    // Without a listener an 'error' event would throw out of the library's stream handler. The
    // library has already dropped a watcher it says 'error' on: cancelling it would ask etcd to
    // cancel a watch it no longer has (and etcd3 throws on the answer to that).
    current.on('error', (error: unknown) => {
      if (watcher === current) watcher = undefined
      const failure = etcdFailure(error)
      if (failure.kind === 'auth-token') {
        // Nothing was missed: the same start again, on a new stream with a new login. (etcd3 types
        // the revision a number; it holds a decimal string once the watch has connected.)
        const seen = current.lastRevision()
        const from = seen === null ? fromRevision : String(seen)
        client.close()
        client = connect()
        later(0, async () => open(from))
      } else if (isAnswer(failure)) refused(`${failure.what}; fix: ${failure.fix}`)
      else later(REOPEN_MS, startOver)
    })
  }

  const refused = (message: string) => {
    if (!refusedBefore) events.refused(`etcd refused to watch ${key}: ${message}`)
    refusedBefore = true
    later(REFUSED_RETRY_MS, startOver)
  }

  const startOver = async () => {
    if (closed) return
    try {
      const { held, revision } = await readHolder(client, key, deadline())
      if (closed) return
      tell(
        held
          ? { kind: 'put', holder: held.value.toString('utf8'), revision: held.mod_revision }
          : { kind: 'delete', revision },
      )
      open((BigInt(revision) + 1n).toString())
    } catch (error) {
      const failure = etcdFailure(error)
      if (isAnswer(failure)) refused(`${failure.what}; fix: ${failure.fix}`)
      else later(REOPEN_MS, startOver)
    }
  }

  open(afterRevision === undefined ? undefined : (BigInt(afterRevision) + 1n).toString())
  return () => {
    closed = true
    if (retry !== undefined) clearTimeout(retry)
    watcher = undefined
    // Closing cancels its stream and every watch on it.
    client.close()
  }
}

const deadline = () => new Date(Date.now() + READ_TIMEOUT_MS)
