/** Where macOS Server keeps the AFP server's settings. */
export const AFP_PLIST_PATH = '/Library/Preferences/com.apple.AppleFileServer.plist'

/** The AFP reconnect key's location when `reconnectKeyLocation` is not set. */
export const DEFAULT_RECONNECT_KEY_LOCATION = '/private/etc/AFP.conf'
