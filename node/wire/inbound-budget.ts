// A byte budget for what inbound streams make this node buffer: the unread bytes a peer may push into a stream (its
// yamux window) plus the frame the handler reads next (a request, a block, a manifest trailer). Stream counts alone
// did not bound memory: 64 streams per protocol per connection, each holding a few MiB a peer chose never to let us
// finish, grew a daemon past 1 GB (issue #13). Every inbound stream takes a lease before it reads, sized for the
// frame it expects, and gives it back when done; a lease that does not fit the connection's share or the node's total
// is refused with ERR_BUSY at once (no queue: a peer must not be able to park work here either).
import { BusyError } from '../errors.ts'

export interface InboundBudgetLimits {
  /** Bytes all inbound streams together may hold. */
  totalBytes: number
  /** Bytes the streams of one connection may hold. */
  perConnectionBytes: number
}

export interface InboundBudgetUsage {
  totalBytes: number
  connections: number
}

export class InboundBudget {
  private used = 0
  private readonly perConnection = new Map<string, number>()

  constructor (readonly limits: InboundBudgetLimits) {}

  /** Reserve `bytes` for a stream of connection `connection`; ERR_BUSY if either limit would be passed. */
  lease (connection: string, bytes: number, what: string): InboundLease {
    const lease = new InboundLease(this, connection, what)
    lease.resize(bytes)
    return lease
  }

  usage (): InboundBudgetUsage {
    return { totalBytes: this.used, connections: this.perConnection.size }
  }

  /** Change a connection's reservation by `delta` bytes (negative: release). Throws before changing anything. */
  adjust (connection: string, delta: number, what: string): void {
    const mine = this.perConnection.get(connection) ?? 0
    if (delta > 0) {
      if (mine + delta > this.limits.perConnectionBytes) throw new BusyError(what, delta, this.limits.perConnectionBytes - mine, 'connection')
      if (this.used + delta > this.limits.totalBytes) throw new BusyError(what, delta, this.limits.totalBytes - this.used, 'total')
    }
    this.used += delta
    if (mine + delta === 0) this.perConnection.delete(connection)
    else this.perConnection.set(connection, mine + delta)
  }
}

/** One stream's share of the budget. resize() grows or shrinks it (ERR_BUSY when growing does not fit); release()
 *  is idempotent. */
export class InboundLease {
  private held = 0
  private released = false

  constructor (private readonly budget: InboundBudget, private readonly connection: string, private readonly what: string) {}

  get bytes (): number {
    return this.held
  }

  resize (bytes: number): void {
    if (this.released) return
    this.budget.adjust(this.connection, bytes - this.held, this.what)
    this.held = bytes
  }

  release (): void {
    if (this.released) return
    this.resize(0)
    this.released = true
  }
}
