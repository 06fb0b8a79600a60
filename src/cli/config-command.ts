/**
 * `logstream config`: the configuration as it resolves from defaults, file,
 * environment and flags, with secrets masked; `--markdown` prints the
 * reference table the README holds.
 */
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, configMarkdownTable, loadConfig, maskSecrets } from '../config.ts'

export const command: Command = {
  name: 'config',
  summary: 'Print the resolved configuration (secrets masked)',
  async run(argv) {
    const args = parseArgs(argv, { flags: { markdown: 'bool' } })
    if (args.flags.has('help')) {
      process.stdout.write(`Usage: logstream config [--markdown] [options]\n\n${configHelp()}\n`)
      return 0
    }
    if (args.flags.get('markdown')?.at(-1) === 'true') {
      process.stdout.write(`${configMarkdownTable()}\n`)
      return 0
    }
    const config = loadConfig({ flags: args.flags, env: process.env })
    process.stdout.write(`${JSON.stringify(maskSecrets(config), null, 2)}\n`)
    return 0
  },
}
