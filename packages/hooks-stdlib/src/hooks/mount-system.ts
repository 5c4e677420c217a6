import type { HookOutcome } from '../define-hook.js'
import type { MountedFs } from './findmnt.js'
import type { MountOptions } from './mount-options.js'

export type Command = [string, string[]]

/**
 * What differs between Linux and macOS when the mount hook mounts and unmounts; the order of the steps
 * (check what is there, fsck, mount, confirm; unmount, wait, stop users, last resort) is shared.
 */
export interface MountSystem {
  /** The command whose table confirms a mount, named in messages: findmnt or mount. */
  readonly lister: string
  /** Throws a HookInputError for options this system cannot honour. */
  validate(o: MountOptions): void
  /** What is mounted exactly at `target` (the top of a stack), or undefined. */
  find(target: string): Promise<MountedFs | undefined>
  /** Whether what is mounted there is what the options mount. */
  isSame(found: MountedFs, o: MountOptions): Promise<boolean>
  /** `fsck: true`: checks the device; an outcome only when it must not be mounted. */
  fsck(o: MountOptions, note: (line: string) => void): Promise<HookOutcome | undefined>
  /** The mount commands, in order: pure, so tests read the exact argv. */
  mountCommands(o: MountOptions): Command[]
  unmountCommand(o: MountOptions): Command
  /** Signals the processes using the mount; the pids signalled. */
  signalHolders(o: MountOptions, signal: 'TERM' | 'KILL'): Promise<number[]>
  /** Once the users are killed and the volume is still busy: lazy detach (Linux) or forced unmount (macOS). */
  readonly lastResort: {
    command(o: MountOptions): Command
    /** The loud note: what the last resort leaves behind. */
    warning(o: MountOptions): string
    summary(o: MountOptions): string
  }
}
