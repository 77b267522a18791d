// What a delete answers and counts: the control API carries these as they are (node/api/types.ts re-exports them).

/** What one holder did with the delete. `deleted`: no owner of the file is left there, its bytes go after the grace;
 *  `released`: only this owner's claim was withdrawn (another node shared the same bytes and still owns them);
 *  `cache dropped`: the peer only had a copy of the manifest, fetched to read or check the file, and dropped it;
 *  `refused` (with the holder's error code) or `unreachable`: nothing changed there (a holder that was unreachable
 *  learns of the delete from the others' shard reports when it is back). */
export interface RmHolder { peer: string, outcome: 'deleted' | 'released' | 'cache dropped' | 'refused' | 'unreachable', code?: string, message?: string }

export interface RmResult {
  cid: string
  /** True when every holder that answered has no owner of the file left: its shards and manifest are removed at
   *  `purgeAt` (this node's clock; each holder counts the grace from when it learned of the delete). */
  deleted: boolean
  purgeAt: number | null
  graceMs: number
  holders: RmHolder[]
}

/** A deleted file as this node sees it: who deleted it, when its bytes go (or went). */
export interface DeletionView {
  deletedBy: string[]
  /** When the last owner signed its delete (its clock, Unix ms). */
  deletedAt: number
  /** When this node removes (removed) the file's bytes, Unix ms. */
  purgeAt: number | null
  purged: boolean
}

export interface DeleteStats {
  /** Files whose shards and manifest this node removed after their grace. */
  filesDeleted: number
  /** Bytes of shards and manifests those removals gave back. */
  bytesReclaimed: number
  /** Deleted files whose grace has not ended yet (still stored, still fetchable). */
  deletesPending: number
  /** Bytes of their shards stored here: reclaimed when their grace ends (status only). */
  bytesReclaimable?: number
}
