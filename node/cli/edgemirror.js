#!/usr/bin/env -S node --max-semi-space-size=4
// The `edgemirror` command. Registers tsx so the TypeScript sources run on Node 20 without a build step, then loads
// the Promise.withResolvers polyfill before anything that imports libp2p. The node flags in the first line are
// node/heap-tuning.ts STREAMING_NODE_FLAGS (a test keeps the two the same).
import { register } from 'tsx/esm/api'

register()
await import('../polyfill.ts')
const { main } = await import('./main.ts')
await main(process.argv)
