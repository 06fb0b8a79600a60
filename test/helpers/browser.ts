/** Debian's Chromium driven by playwright-core, closed when the test ends (no browser is downloaded). */
import { chromium, type Browser } from 'playwright-core'

export async function launchBrowser(t: { after(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.after(() => browser.close())
  return browser
}
