/** Rewrites the configuration table of README.md from the schema: `node --import tsx scripts/readme-config.ts`. */
import { readFileSync, writeFileSync } from 'node:fs'
import { configMarkdownTable } from '../src/config-docs.ts'

const START = '<!-- config:start -->'
const END = '<!-- config:end -->'

export function withConfigTable(readme: string): string {
  const a = readme.indexOf(START)
  const b = readme.indexOf(END)
  if (a === -1 || b < a) throw new Error('README.md has no config markers')
  return `${readme.slice(0, a + START.length)}\n${configMarkdownTable()}\n${readme.slice(b)}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url)
  writeFileSync(path, withConfigTable(readFileSync(path, 'utf8')))
}
