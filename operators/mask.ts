/**
 * Masking of the variable parts of a log message, the way log parsers
 * pre-process lines before they look for templates (LogPAI's benchmark regexes,
 * Drain's masking): what is left is the line's *shape*, the same for every line
 * a logging statement writes whatever ids, addresses and sizes it carried.
 *
 *   'Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6'
 *   → 'Received block <blk> of size <num> from <ip>'
 *
 * Deterministic and cheap (one pass of each of a few regular expressions, skipped where it could replace nothing): the built-in
 * embedder embeds the shape, `stats` groups by it, and it can serve as a cache
 * key for embeddings.
 */

/**
 * A whole dotted name ending in a generic top-level domain, or in a country's after a generic second level
 * (`.co.uk`, `.com.cn`), so `java.io.File`, `libc.so.6` and configuration keys (`mapred.tip.id`) stay.
 */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:(?:com|net|org|edu|gov|ac|co|ne|or|go)\.[a-z]{2}|com|net|org|edu|gov|mil|int|info|biz|io|local|lan|internal)$/i
/** DNS names are at most 253 characters. */
const HOST_MAX = 253

/**
 * Host names, tested word by word: one pass over the text, then one anchored test of each word short
 * enough to be a name, so no line, however long, costs more than its length (a pattern that looked for
 * names inside the text would try every dot and dash of a long word from every position before it).
 */
function maskHosts(word: string): string {
  if (word.length > HOST_MAX + 1 || !word.includes('.')) return word
  const dot = word.endsWith('.') ? '.' : ''
  return HOST.test(dot ? word.slice(0, -1) : word) ? `<host>${dot}` : word
}

/**
 * Placeholders, in the order the rules apply: earlier rules take the text first. A rule's third element is text
 * every match it replaces holds, its fourth how many times at least (once if not given): a message without it skips
 * the rule's pass (most hold no URL, MAC or Windows path, and HDFS's block ids hold one '-' where a UUID holds four).
 * Exported for the test that holds each rule's text to its matches.
 */
export const MASK_RULES: ReadonlyArray<readonly [RegExp, string | ((match: string) => string), string?, number?]> = [
  // URLs before paths and addresses, which they contain.
  [/\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>\])]+/gi, '<url>', '://'],
  // Dates and times written inside messages (`Fri Jun 17 07:07:00 2005`, `2005-06-17 07:07:00,123`, `07:07:00`).
  [/\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]* +)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* +\d{1,2} +\d{1,2}:\d\d(?::\d\d(?:[.,]\d+)?)?(?: +\d{4})?\b/gi, '<time>', ':'],
  [/\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:z|[+-]\d\d:?\d\d)?)?\b/gi, '<time>', '-', 2],
  [/\b\d{1,2}:\d\d:\d\d(?:[.,]\d+)?\b/g, '<time>', ':', 2],
  // UUIDs, also inside words (req-…, instance names).
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>', '-', 4],
  // HDFS block ids.
  [/blk_-?\d+/g, '<blk>', 'blk_'],
  // Host names: see `maskHosts`. Before addresses, which start some of them: `5.36.59.76.dsl.example.net`.
  [/[\w.-]+/g, maskHosts, '.'],
  // IPv4 with an optional port, with the leading slash Java's InetSocketAddress prints.
  [/\/?\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '<ip>', '.'],
  // MAC addresses.
  [/\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi, '<mac>', ':'],
  // IPv6: eight groups, or fewer around a '::', holding a digit (so `Foo::bar` stays).
  [/(?<![\w:.])(?=[0-9a-f:]*\d)(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4})(?:%\w+)?(?![\w:])/gi, '<ip>', ':'],
  // Hex numbers and long hex ids (instance, request, session ids): 0x… or 8+ hex digits holding a digit.
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
  // Paths: two or more segments, absolute or relative to '.', '..' or '~' (a lone '/x' may be a word).
  [/(?<![\w.:/<>-])(?:~|\.{1,2})?(?:\/[\w.$@%+=~<>-]+){2,}\/?/g, '<path>', '/'],
  [/\b[a-z]:\\(?:[^\\\s]+\\)*[^\\\s]*/gi, '<path>', ':\\'],
  // User names: the word after 'user' ('Invalid user admin from …', 'session closed for user cyrus').
  [/(?<=\buser )(?!<)[^\s\[\](){}<>,;:'"]+/gi, '<user>'],
  // Numbers, also inside words (core.2275, node-246, J12), signed and with fractions.
  [/-?\d+(?:\.\d+)?/g, '<num>'],
]

/**
 * The shape of a message: its variables replaced by placeholders (`<url>`,
 * `<time>`, `<uuid>`, `<blk>`, `<host>`, `<ip>`, `<mac>`, `<hex>`, `<path>`,
 * `<user>`, `<num>`).
 *
 * @example
 * maskVariables('Verification succeeded for blk_-4117999745005013424')  // 'Verification succeeded for <blk>'
 */
export function maskVariables(text: string): string {
  let out = text
  for (const [pattern, placeholder, needs, times = 1] of MASK_RULES) if (needs === undefined || holds(out, needs, times)) out = out.replace(pattern, placeholder as string)
  return out
}

/** True when `text` holds `needs` at least `times` times. */
export function holds(text: string, needs: string, times: number): boolean {
  for (let at = text.indexOf(needs), found = 1; at >= 0; at = text.indexOf(needs, at + needs.length), found++) if (found >= times) return true
  return false
}

/** Messages remembered a generation (see `rememberShapeOf`), and the longest remembered (so the memory stays a few MB). */
const RECENT_SHAPES = 8192
const RECENT_SHAPE_CHARS = 1024
// Two generations, the older dropped whole when the newer is full: the last 8,192 to 16,384 messages remembered, at one
// map insert a message. Evicting the oldest entry one at a time cost more than masking (a Map's deleted entries stay
// until it rehashes, and every look for the oldest steps over them: 3.7 µs a line on the bundled lines, measured).
let recentShapes = new Map<string, string>()
let olderShapes = new Map<string, string>()

const remembered = (text: string): string | undefined => recentShapes.get(text) ?? olderShapes.get(text)

/**
 * `maskVariables`, remembering the shape for a `shapeOf` that asks for the same message soon after: the built-in
 * embedder masks each message it embeds, and the score stage then masks the same messages.
 */
export function rememberShapeOf(text: string): string {
  let shape = remembered(text)
  if (shape !== undefined) return shape
  shape = maskVariables(text)
  if (text.length <= RECENT_SHAPE_CHARS) {
    if (recentShapes.size >= RECENT_SHAPES) {
      olderShapes = recentShapes
      recentShapes = new Map()
    }
    recentShapes.set(text, shape)
  }
  return shape
}

/**
 * The shape of a message, as remembered by `rememberShapeOf` (a look-up) or masked now (remembering nothing: with
 * another embedder no one asks twice, and remembering costs a quarter of a masking).
 *
 * @example
 * shapeOf('Verification succeeded for blk_-4117999745005013424')  // 'Verification succeeded for <blk>'
 */
export function shapeOf(text: string): string {
  return remembered(text) ?? maskVariables(text)
}
