/** The configuration as people read it: `--help` lines and the README table, both from the schema. */
import { CONFIG_FIELDS, CONFIG_FILE_OPTION } from './config.ts'
import { defaultText, helpLine, metaOf } from './options.ts'

/** Help lines for `--config` and every field: flag, description, default, environment names. */
export function configHelp(): string {
  return [helpLine(metaOf(CONFIG_FILE_OPTION)), ...CONFIG_FIELDS.map((f) => helpLine(f.meta, { secret: f.secret }))].join('\n')
}

/** The README table of configuration fields, in Markdown. */
export function configMarkdownTable(): string {
  const lines = ['| field | flag | environment | default | description |', '| --- | --- | --- | --- | --- |']
  for (const f of CONFIG_FIELDS) {
    const env = (f.meta.env ?? []).map((e) => `\`${e}\``).join(', ')
    const description = `${f.meta.description.replace(/\|/g, '\\|')}${f.secret ? ' (secret: masked in logs and the status page)' : ''}`
    lines.push(`| \`${f.key}\` | \`--${f.meta.flag}\` | ${env} | \`${defaultText(f.meta)}\` | ${description} |`)
  }
  return lines.join('\n')
}
