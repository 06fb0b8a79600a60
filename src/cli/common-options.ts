/** Options several commands share, defined once. */
import { bool, field } from '../options.ts'

/** `--json`: one JSON document instead of a table. */
export const jsonOption = () => field(bool(), false, { flag: 'json', description: 'Print one JSON document instead of a table' })

/** `--yes`: do it without asking. */
export const yesOption = (what: string) => field(bool(), false, { flag: 'yes', description: `${what} without asking for confirmation` })
