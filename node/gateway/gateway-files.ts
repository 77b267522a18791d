// Where the gateway's bytes come from: the node's fetch service, or the edge cache in front of it (both routes, /f/
// and /m/, read through it). Stored bytes by CID: ciphertext for an encrypted file, decrypted by node/fetch/file-access.ts
// on the way out, so the edge cache never holds plaintext.
import type { StoredFiles } from '../fetch/file-access.ts'

/** What the gateway reads files through: the node, or an edge cache in front of it. */
export type GatewayFiles = StoredFiles
