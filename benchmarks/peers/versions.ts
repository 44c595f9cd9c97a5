// Versions of the installed peer libraries, quoted next to their figures.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The installed version of `pkg`, or "missing". */
export function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version
  } catch {
    return 'missing'
  }
}
