#!/usr/bin/env -S node --max-semi-space-size=4
// The `edgemirror` command, compiled to dist/node/cli/edgemirror.js (package.json "bin"). The polyfill comes first:
// ES modules run in import order, so Promise.withResolvers exists before any module that imports libp2p runs. The
// node flags in the first line are node/heap-tuning.ts STREAMING_NODE_FLAGS (a test keeps the two the same).
import '../polyfill.ts'
import { main } from './main.ts'

await main(process.argv)
