/**
 * Credentials written into a service URL (`http://user:password@host/…`) go
 * as an `Authorization: Basic` header: `fetch` refuses a URL that holds them,
 * which would look like a service that is down and be retried for ever.
 */

export interface SplitUrl {
  /** The URL without its credentials. */
  readonly url: string
  /** `Basic …` for the credentials, when the URL had any. */
  readonly authorization?: string
}

/**
 * @example
 * splitCredentials('http://me:pw@embed:8000/embed') // { url: 'http://embed:8000/embed', authorization: 'Basic bWU6cHc=' }
 */
export function splitCredentials(url: string): SplitUrl {
  const u = new URL(url)
  if (u.username === '' && u.password === '') return { url }
  const user = decodeURIComponent(u.username)
  const password = decodeURIComponent(u.password)
  u.username = ''
  u.password = ''
  return { url: u.toString(), authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
}
