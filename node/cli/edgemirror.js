#!/usr/bin/env node
// The `edgemirror` command. Registers tsx so the TypeScript sources run on Node 20 without a build step, then loads
// the Promise.withResolvers polyfill before anything that imports libp2p.
import { register } from 'tsx/esm/api'

register()
await import('../polyfill.ts')
const { main } = await import('./main.ts')
await main(process.argv)
