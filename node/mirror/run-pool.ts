// Work over a list, a few items at a time: a publish shares files 4 at once, a follower builds a version 4 files at
// once (their constants say why).

/** Run `work` over `items`, `concurrency` at a time. The first failure starts nothing new, aborts `abort` when given
 *  (in-flight work sees its signal), waits for what runs, and is thrown. */
export async function runPool<T> (items: T[], concurrency: number, work: (item: T) => Promise<void>, abort?: AbortController): Promise<void> {
  let next = 0
  let failure: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]
      try {
        await work(item)
      } catch (err) {
        failure ??= { err }
        abort?.abort(err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  if (failure !== undefined) throw failure.err
}
