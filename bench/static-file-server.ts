// The physical ceiling of bench/gateway.ts: one file from local disk over HTTP by Node's own http server and
// fs.createReadStream (nginx is not installed on the bench machine), in a process of its own like a daemon.
// Prints {"url": "http://127.0.0.1:PORT/"} once it listens; every GET gets the whole file.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: static-file-server.ts FILE')
const { size } = await stat(file)
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
  // 1 MiB reads, as the CLI's share does: the ceiling should not be held back by 64 KiB syscalls.
  pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), res).catch(() => { res.destroy() })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })}\n`)
})
process.on('SIGTERM', () => { server.close(); server.closeAllConnections() })
