#!/usr/bin/env node
// Runs the TypeScript sources through tsx, or the compiled build when there is one (the container image).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

// The sources win when they are there, so a stale build never runs by mistake.
const sources = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
const built = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))
let main
if (!existsSync(sources) && existsSync(built)) {
  ;({ main } = await import(pathToFileURL(built).href))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
const code = await main(process.argv.slice(2))
// A command is over when main returns: nothing left open (a Kafka client that will not disconnect) keeps the process alive.
process.exit(code)
