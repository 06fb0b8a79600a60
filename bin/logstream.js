#!/usr/bin/env node
// Runs the TypeScript sources through tsx when it is installed (a development
// checkout), else the compiled build (a production install — `npm ci
// --omit=dev` after `npm run build` — and the container image).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const sources = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
const built = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))

// The sources win whenever tsx can run them, so a stale build never runs by mistake in development.
async function tsx() {
  if (!existsSync(sources)) return null
  try {
    return await import('tsx/esm/api')
  } catch {
    return null
  }
}

let main
const loader = await tsx()
if (loader) {
  loader.register()
  ;({ main } = await import('../src/cli/main.ts'))
} else if (existsSync(built)) {
  ;({ main } = await import(pathToFileURL(built).href))
} else {
  process.stderr.write('logstream: no compiled build (dist/) and no tsx to run the sources: run `npm run build` with the development dependencies installed\n')
  process.exit(1)
}
const code = await main(process.argv.slice(2))
// Output to a pipe is written in the background: exiting at once cut `dlq list --json | jq` short at some 300 KB.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))))
// A command is over when main returns: nothing left open (a Kafka client that will not disconnect) keeps the process alive.
process.exit(code)
