// A one-slot channel turning a push producer (await send(chunk)) into a pull consumer (for await), with
// backpressure: send() resolves only once the consumer has taken the chunk.

export class Channel<T> implements AsyncIterable<T> {
  private item: { value: T, taken: () => void } | undefined
  private waiting: (() => void) | undefined
  private closed = false
  private failure: unknown
  private hasFailure = false
  private consumerGone = false

  async send (value: T): Promise<void> {
    if (this.consumerGone) throw new Error('consumer stopped reading')
    await new Promise<void>((resolve) => {
      this.item = { value, taken: resolve }
      this.wake()
    })
    if (this.consumerGone) throw new Error('consumer stopped reading')
  }

  close (): void {
    this.closed = true
    this.wake()
  }

  fail (err: unknown): void {
    this.failure = err
    this.hasFailure = true
    this.wake()
  }

  private wake (): void {
    const w = this.waiting
    this.waiting = undefined
    w?.()
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<T> {
    try {
      while (true) {
        while (this.item === undefined && !this.closed && !this.hasFailure) {
          await new Promise<void>((resolve) => { this.waiting = resolve })
        }
        if (this.item !== undefined) {
          const { value, taken } = this.item
          this.item = undefined
          yield value
          taken()
          continue
        }
        if (this.hasFailure) throw this.failure
        return
      }
    } finally {
      this.consumerGone = true
      const pending = this.item
      this.item = undefined
      pending?.taken()
    }
  }
}
