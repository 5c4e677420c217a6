import type { Etcd3, IKeyValue, ITxnResponse } from 'etcd3'
import type { ClaimResult } from '../../model/coordination.js'

/**
 * The holder key of a group and the two transactions on it. Both may run twice (a retry, or the
 * same call sent to two members) with the same outcome: a claim finding the key already bound to this
 * node's lease is a win, a release deletes only a key bound to this node's lease.
 */

/** `<prefix>holders/<group>`; the prefix starts and ends with "/" (the config checks it). */
export function holderKey(prefix: string, group: string): string {
  return `${prefix}holders/${group}`
}

/**
 * If the key has never been created since it was last deleted (create revision 0), put `value` bound
 * to the lease; else read it. The key's mod revision is the fencing token: it grows with every new
 * holder, so storage can refuse a write carrying an older one.
 *
 * A key already bound to the lease is a win. At `heldRevision` (a retried claim of a key this node
 * holds) it is taken as it is; at any other revision (a key this node let go of but whose delete has
 * not answered, or one a late claim left) it is written again, in a transaction that holds only if
 * it is still that key, so that it is won at a new revision: a late copy of the delete meant for the
 * old one (guarded by its revision) then deletes nothing.
 */
export async function claimTxn(
  client: Etcd3,
  key: string,
  value: string,
  leaseId: string,
  deadline: Date,
  heldRevision?: string,
): Promise<ClaimAnswer> {
  const name = Buffer.from(key)
  const answer = await client.kv.txn(
    {
      compare: [{ key: name, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: name, value: Buffer.from(value), lease: leaseId } }],
      failure: [{ request_range: { key: name } }],
    },
    { deadline },
  )
  // The put's revision is the transaction's: the key's new mod revision.
  if (answer.succeeded) return { won: true, revision: answer.header.revision }
  const held = heldKey(answer)
  if (!held) throw new Error(`etcd said ${key} exists but returned no value for it`)
  if (held.lease === leaseId) {
    if (held.mod_revision === heldRevision) return { won: true, revision: held.mod_revision }
    const rewritten = await client.kv.txn(
      {
        compare: [
          { key: name, target: 'Lease', result: 'Equal', lease: leaseId },
          { key: name, target: 'Mod', result: 'Equal', mod_revision: held.mod_revision },
        ],
        success: [{ request_put: { key: name, value: Buffer.from(value), lease: leaseId } }],
        failure: [{ request_range: { key: name } }],
      },
      { deadline },
    )
    if (rewritten.succeeded) return { won: true, revision: rewritten.header.revision }
    const now = heldKey(rewritten)
    // Changed in between: deleted (free: claim again) or another's.
    if (!now) throw new Error(`${key} changed while it was claimed; claim again`)
    if (now.lease === leaseId) return { won: true, revision: now.mod_revision }
    return { won: false, holder: now.value.toString('utf8'), revision: now.mod_revision, lease: now.lease }
  }
  return { won: false, holder: held.value.toString('utf8'), revision: held.mod_revision, lease: held.lease }
}

/** A claim's outcome, and when it was lost, the lease the key is bound to. */
export type ClaimAnswer = ClaimResult | (Extract<ClaimResult, { won: false }> & { readonly lease: string })

/**
 * Deletes the key if it is bound to the lease and is still the one claimed at `modRevision`:
 * `deleted`; else says whether the key is `absent` or held `another` way.
 *
 * The revision matters because a request can be carried out long after it was sent: a member frozen
 * or cut off keeps it in its socket, and gRPC deadlines are relative, counted from when the member
 * reads it. A release asked of such a member as well as of a quick one could otherwise delete, later,
 * the key this node claimed again meanwhile, which it believes it holds: another node would win it.
 */
export async function releaseTxn(
  client: Etcd3,
  key: string,
  leaseId: string,
  deadline: Date,
  modRevision: string,
): Promise<'deleted' | 'absent' | 'another'> {
  const name = Buffer.from(key)
  const answer = await client.kv.txn(
    {
      compare: [
        { key: name, target: 'Lease', result: 'Equal', lease: leaseId },
        { key: name, target: 'Mod', result: 'Equal', mod_revision: modRevision },
      ],
      success: [{ request_delete_range: { key: name } }],
      failure: [{ request_range: { key: name, keys_only: true } }],
    },
    { deadline },
  )
  if (answer.succeeded) return 'deleted'
  return heldKey(answer) ? 'another' : 'absent'
}

/** The key now and the store's revision of that read, for a watch that must start over. */
export async function readHolder(
  client: Etcd3,
  key: string,
  deadline: Date,
): Promise<{ held: IKeyValue | undefined; revision: string }> {
  const answer = await client.kv.range({ key: Buffer.from(key) }, { deadline })
  return { held: answer.kvs[0], revision: answer.header.revision }
}

function heldKey(answer: ITxnResponse): IKeyValue | undefined {
  return answer.responses[0]?.response_range?.kvs[0]
}
