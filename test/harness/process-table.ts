// The machine's processes as /proc shows them (Linux), for the checks that nothing a test started outlives it.
import { readdir, readFile } from 'node:fs/promises'

export interface ProcessFacts {
  pid: number
  ppid: number
  /** Its environment as it was started (inherited from its parent), one NAME=value per entry. */
  env: string[]
  command: string
}

export async function listProcesses (): Promise<ProcessFacts[]> {
  const facts: ProcessFacts[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8')
      // Field 4 is the ppid; field 2, the command name in parentheses, may itself hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const env = (await readFile(`/proc/${name}/environ`, 'utf8')).split('\0')
      const command = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim()
      facts.push({ pid: Number(name), ppid, env, command })
    } catch {} // exited while we looked, or not ours to read: neither is a process of ours
  }
  return facts
}

/** Processes started with `name=value` in their environment (so descended from whoever set it), except this one,
 *  its ancestors, which carry it too, and its own children (e.g. the esbuild service tsx starts to compile it). */
export async function processesMarked (name: string, value: string): Promise<ProcessFacts[]> {
  const all = await listProcesses()
  const byPid = new Map(all.map(p => [p.pid, p]))
  const lineage = new Set<number>()
  for (let p = byPid.get(process.pid); p !== undefined && !lineage.has(p.pid); p = byPid.get(p.ppid)) lineage.add(p.pid)
  return all.filter(p => !lineage.has(p.pid) && p.ppid !== process.pid && p.env.includes(`${name}=${value}`))
}


export function describeProcesses (list: ProcessFacts[]): string[] {
  return list.map(p => `${p.pid}: ${p.command.slice(0, 200)}`)
}
