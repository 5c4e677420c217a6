import { ensureBuiltSite } from './built-site.js'

/** Runs once before any test file: the browser tests and sidebar.test.ts need the built site. */
export default function setup(): void {
  ensureBuiltSite()
}
