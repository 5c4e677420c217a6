import { ConfigError } from '@ipfo/core/errors'

/**
 * An AFP settings file (the AppleFileServer plist, afp.conf, the reconnect key) is wrong or could not
 * be written. `file` says which; `path` names the key or field. The file itself is left as it was.
 */
export class AfpError extends ConfigError {}

/** Turns an fs error code into a sentence and a fix; the caller adds the file name. */
export function describeFsError(error: unknown): { what: string; hint: string } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOSPC':
      return { what: 'the disk is full', hint: 'free some space on that volume and run the command again' }
    case 'EDQUOT':
      return { what: 'the disk quota is exceeded', hint: 'raise the quota or free some space' }
    case 'EROFS':
      return { what: 'the volume is mounted read-only', hint: 'remount it read-write' }
    case 'EACCES':
    case 'EPERM':
      return {
        what: 'permission denied',
        hint: 'run as root (sudo), and check the file is not locked (chflags nouchg on macOS)',
      }
    case 'ENOENT':
      return { what: 'no such file or directory', hint: 'check the path' }
    case 'EIO':
      return { what: 'an I/O error', hint: 'check the disk (dmesg, Disk Utility)' }
    default:
      return {
        what: error instanceof Error ? error.message : String(error),
        hint: 'fix the cause and run the command again',
      }
  }
}
