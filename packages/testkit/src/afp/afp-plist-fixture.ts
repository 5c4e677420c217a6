import { build, buildBinary, type PlistValue } from 'plist'

/**
 * A realistic com.apple.AppleFileServer.plist, generated here (Apple's own file is not on this
 * machine): every plist type, nested dictionaries, an array, unicode, and the reconnect keys.
 */
export function afpPlistValue(extra: Record<string, PlistValue> = {}): Record<string, PlistValue> {
  return {
    TCPQuantum: 262144,
    activityLog: false,
    activityLogPath: '/Library/Logs/AppleFileService/AppleFileServiceAccess.log',
    activityLogSize: 1000,
    adminGetsSp: false,
    afpServerEncoding: 0,
    afpTCPPort: 548,
    allowRootLogin: false,
    authenticationMode: 'standard_and_kerberos',
    clientSleepTime: 24,
    guestAccess: true,
    idleDisconnectFlag: {
      adminUsers: true,
      guestUsers: true,
      registeredUsers: true,
      usersWithOpenFiles: true,
    },
    loggingAttributes: {
      logCreateDir: true,
      logCreateFile: true,
      logDelete: true,
      logLogin: true,
      logLogout: true,
      logOpenFork: true,
    },
    loginGreeting: 'Wïllkommen — 日本語 ok',
    maxConnections: -1,
    maxGuests: -1,
    recon1SrvrKeyTTLHrs: 168,
    reconnectFlag: 'no_admin_kills',
    reconnectKeyLocation: '/private/etc/AFP.conf',
    reconnectTTLInMin: 1440,
    shutdownThreshold: 3,
    sleepRatio: 0.75,
    lastSaved: new Date('2009-08-28T14:02:11Z'),
    serverSignature: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    allowedUAMs: ['DHCAST128', 'Kerberos', 'Recon1'],
    emptyNote: '',
    ...extra,
  }
}

export const xmlPlist = (value: PlistValue = afpPlistValue()) => new TextEncoder().encode(build(value))
export const binaryPlist = (value: PlistValue = afpPlistValue()) => buildBinary(value)
