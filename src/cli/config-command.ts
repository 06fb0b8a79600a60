/**
 * `logstream config`: the configuration as it resolves from defaults, file,
 * environment and flags, with secrets masked; `--markdown` prints the
 * reference table the README holds.
 */
import { defineCommand } from './command.ts'
import { configMarkdownTable } from '../config-docs.ts'
import { maskSecrets } from '../../core/secrets.ts'
import { bool, field } from '../options.ts'

export const command = defineCommand({
  name: 'config',
  summary: 'Print the resolved configuration (secrets masked)',
  usage: ['config [--markdown] [options]'],
  description: 'Prints the configuration as it resolves from defaults < config file < environment < flags, secrets masked.',
  options: {
    markdown: field(bool(), false, { flag: 'markdown', description: "Print the reference table of every field (the README's) instead" }),
  },
  async run(args) {
    if (args.options.markdown) {
      process.stdout.write(`${configMarkdownTable()}\n`)
      return 0
    }
    process.stdout.write(`${JSON.stringify(maskSecrets(args.config()), null, 2)}\n`)
    return 0
  },
})
