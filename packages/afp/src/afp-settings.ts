import type { PlistValue } from 'plist'
import { AfpError } from './errors.js'
import type { AfpFs } from './fs-port.js'
import { AFP_PLIST_PATH, DEFAULT_RECONNECT_KEY_LOCATION } from './paths.js'
import { type PlistDocument, readPlistFile } from './plist/plist-file.js'

/** Keys that only AppleFileServer's plist has; a plist with none of them is some other program's. */
const AFP_KEYS = [
  'activityLog',
  'activityLogPath',
  'admin31GetsSp',
  'adminGetsSp',
  'afpServerEncoding',
  'afpTCPPort',
  'allowRootLogin',
  'authenticationMode',
  'clientSleepOnOff',
  'clientSleepTime',
  'errorLogPath',
  'guestAccess',
  'idleDisconnectOnOff',
  'idleDisconnectTime',
  'loggingAttributes',
  'loginGreeting',
  'maxConnections',
  'maxGuests',
  'permissionsModel',
  'recon1SrvrKeyTTLHrs',
  'reconnectFlag',
  'reconnectKeyLocation',
  'reconnectTTLInMin',
  'registerNSL',
  'sendGreetingOnce',
  'shutdownThreshold',
  'TCPQuantum',
  'updateHomeDirQuota',
] as const

/** The AFP server settings that decide whether sessions can reconnect after a failover. */
export interface AfpSettings {
  readonly document: PlistDocument
  /** Where the reconnect key is, from `reconnectKeyLocation` or the default. */
  readonly reconnectKeyLocation: string
  /** True when `reconnectKeyLocation` is not set and the default applies. */
  readonly locationIsDefault: boolean
  /** Minutes a disconnected session may be resumed (`reconnectTTLInMin`, Apple's default 1440). */
  readonly reconnectTTLInMin: number | undefined
  /** Hours a reconnect key stays valid (`recon1SrvrKeyTTLHrs`, default 168). */
  readonly recon1SrvrKeyTTLHrs: number | undefined
  /** Which disconnections may reconnect (`reconnectFlag`, default `no_admin_kills`). */
  readonly reconnectFlag: string | undefined
}

/** Reads `com.apple.AppleFileServer.plist` (XML or binary) and checks it is AppleFileServer's. */
export async function readAfpSettings(fs: AfpFs, file: string = AFP_PLIST_PATH): Promise<AfpSettings> {
  const document = await readPlistFile(fs, file)
  return afpSettingsOf(document)
}

export function afpSettingsOf(document: PlistDocument): AfpSettings {
  const { value, file } = document
  if (!AFP_KEYS.some((key) => key in value)) {
    const found = Object.keys(value).slice(0, 4).join(', ') || 'no keys at all'
    throw new AfpError(
      `${file} is not AppleFileServer's plist: none of its keys are AFP settings (found ${found})`,
      {
        file,
        hint: `pass the AFP server's plist with --plist (normally ${AFP_PLIST_PATH}); if File Sharing was never turned on, turn it on once so macOS writes the file`,
      },
    )
  }
  const location = typed(document, 'reconnectKeyLocation', 'string', (v) => typeof v === 'string' && v !== '')
  if (location !== undefined && !location.startsWith('/')) {
    throw new AfpError(`${file}: reconnectKeyLocation "${location}" is not an absolute path`, {
      file,
      path: 'reconnectKeyLocation',
      hint: 'set it with `ipfo afp reconnect-key set /Volumes/<shared>/AFP.conf`',
    })
  }
  return {
    document,
    reconnectKeyLocation: location ?? DEFAULT_RECONNECT_KEY_LOCATION,
    locationIsDefault: location === undefined,
    reconnectTTLInMin: typed(document, 'reconnectTTLInMin', 'number', (v) => typeof v === 'number'),
    recon1SrvrKeyTTLHrs: typed(document, 'recon1SrvrKeyTTLHrs', 'number', (v) => typeof v === 'number'),
    reconnectFlag: typed(document, 'reconnectFlag', 'string', (v) => typeof v === 'string'),
  }
}

function typed<T extends 'string' | 'number'>(
  { value, file }: PlistDocument,
  key: string,
  type: T,
  ok: (v: PlistValue) => boolean,
): (T extends 'string' ? string : number) | undefined {
  if (!(key in value)) return undefined
  const v = value[key] as PlistValue
  if (!ok(v)) {
    throw new AfpError(
      `${file}: ${key} should be a ${type === 'string' ? 'non-empty string' : 'number'}, found ${describe(v)}`,
      {
        file,
        path: key,
        hint: `fix ${key} (on a Mac: \`sudo defaults delete ${file.replace(/\.plist$/, '')} ${key}\` restores the default)`,
      },
    )
  }
  return v as T extends 'string' ? string : number
}

function describe(v: PlistValue): string {
  if (v === null) return 'nothing'
  if (Array.isArray(v)) return 'an array'
  if (v instanceof Date) return 'a date'
  if (v instanceof Uint8Array) return 'data'
  if (typeof v === 'object') return 'a dictionary'
  return `${typeof v} ${JSON.stringify(v)}`
}
