// `edgemirror daemon`: run a node and its control API until SIGINT/SIGTERM, then stop cleanly.
import { Option, type Command } from 'commander'
import { loadConfig, saveConfig, type SavedConfig } from '../config.ts'
import { DAEMON_FLAGS } from '../daemon-flags.ts'
import { checkDaemonOptions, daemonOptions } from '../daemon-options.ts'
import type { RunningDaemon } from '../daemon.ts'
import { SERVICE_STOP_TIMEOUT_MS } from '../constants.ts'
import { UsageError } from '../errors.ts'
import { createEventLog, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../event-log.ts'
import { watchParent } from '../parent-watch.ts'
import { integerIn, output, repoDir, reportError, withCommonOptions, type CommonOptions } from './common.ts'

/** The parsed command line: the flag table's settings (node/daemon-flags.ts) by commander's attribute name, and the
 *  flags that are not settings (not saved in config.json). */
interface DaemonFlags extends CommonOptions, Record<string, unknown> {
  exitWithParent?: number
  logFormat?: LogFormat
  logLevel?: LogLevel
}

export function registerDaemon (program: Command): void {
  const command = withCommonOptions(program.command('daemon').description('run an edgemirror node (libp2p host, shard store, control API) until SIGINT/SIGTERM'))
  const settings = DAEMON_FLAGS.map(flag => {
    const option = new Option(flag.option, flag.description)
    if (flag.parse !== undefined) option.argParser(flag.parse)
    command.addOption(option)
    // A --no-X switch: commander sets X to true when it is absent; only its presence (false) is a setting given.
    return { flag, name: option.attributeName(), negate: option.negate }
  })
  command
    // Not saved in config.json: how a daemon logs depends on what runs it (a terminal, journald, a log shipper).
    .addOption(new Option('--log-format <format>', `the operator's log on stderr: ${LOG_FORMATS.join(' or ')} (JSON lines) (default text); DEBUG=edgemirror:* adds developer detail`).argParser(oneOf('--log-format', LOG_FORMATS)))
    .addOption(new Option('--log-level <level>', `least level logged: ${LOG_LEVELS.join(', ')} (default info)`).argParser(oneOf('--log-level', LOG_LEVELS)))
    .addOption(new Option('--exit-with-parent <pid>', 'also stop cleanly once process PID (the one starting the daemon) is no longer its parent: it exited, however (even SIGKILL); for supervisors and test harnesses').argParser(integerIn('--exit-with-parent', 1, 2 ** 22)))
    .action(async (flags: DaemonFlags) => {
      const repo = repoDir(flags)
      let daemon: RunningDaemon
      try {
        const saved = await loadConfig(repo)
        // undefined = not given (the saved value stays); anything else replaces the saved value (null: --capacity unlimited).
        const given = Object.fromEntries(settings.flatMap(({ flag, name, negate }) => {
          const value = negate && flags[name] === true ? undefined : flags[name]
          return value === undefined ? [] : [[flag.key, flag.toSetting !== undefined ? flag.toSetting(value) : value]]
        }))
        const config: SavedConfig = { ...saved, ...given }
        const options = daemonOptions(repo, config)
        await checkDaemonOptions(options)
        // Loaded here, not at the top: the other verbs need none of libp2p, and every CLI call would pay for it.
        const { startDaemon } = await import('../daemon.ts')
        daemon = await startDaemon(options, { log: createEventLog({ format: flags.logFormat, level: flags.logLevel }) })
        await saveConfig(repo, config)
      } catch (err) {
        // A daemon that did not start exits now, non-zero: whatever a failed start left behind (a half-built host, a
        // timer) would otherwise keep the process alive after the error was printed (issue #15: `--placement
        // carbon=2,foo=1` printed ERR_USAGE and never exited). The repo lock is the kernel's and goes with the process.
        reportError(err, flags.json === true)
        process.exit(process.exitCode)
      }
      output(flags, { peerId: daemon.peerId, addresses: daemon.addresses, api: daemon.apiUrl, gateway: daemon.node.gatewayUrl, repo }, r =>
        [`edgemirror daemon ready (stop with Ctrl-C)`, `peer id  ${r.peerId}`, ...r.addresses.map(a => `address  ${a}`), `api      ${r.api}`, `gateway  ${r.gateway ?? 'off'}`, `repo     ${r.repo}`].join('\n'))
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          unwatch()
          resolve()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
        const unwatch = flags.exitWithParent !== undefined ? watchParent(flags.exitWithParent, stop) : () => {}
      })
      try {
        await daemon.stop()
      } finally {
        // Every service stops within SERVICE_STOP_TIMEOUT_MS; if something still holds the event loop after that, it is
        // a bug, and a daemon that ignores SIGTERM is worse than one that says so and exits (issue #13).
        setTimeout(() => {
          process.stderr.write('edgemirror: the daemon stopped but something still held the process; exiting\n')
          process.exit(process.exitCode ?? 1)
        }, SERVICE_STOP_TIMEOUT_MS).unref()
      }
    })
}

function oneOf<T extends string> (name: string, choices: readonly T[]): (text: string) => T {
  return (text: string) => {
    if (!(choices as readonly string[]).includes(text)) throw new UsageError(`${name} wants one of ${choices.join(', ')}, got ${JSON.stringify(text)}`)
    return text as T
  }
}
