export { type AfpSettings, afpSettingsOf, readAfpSettings } from './afp-settings.js'
export { type AtomicWriteOptions, type AtomicWriteResult, writeFileAtomic } from './atomic-write.js'
export { type AfpCheckDeps, type AfpCheckReport, checkAfp } from './check.js'
export type { CheckResult } from './check-result.js'
export { AfpError } from './errors.js'
export { type AfpFs, type FileStat, type NewFile, nodeFs } from './fs-port.js'
export { type PathVolume, volumeOfPath } from './key-volume.js'
export {
  type Mount,
  type MountTable,
  mountOf,
  parseDarwinMount,
  parseMountinfo,
  systemMountTable,
} from './mounts.js'
export * from './netatalk/index.js'
export {
  checkNetatalk,
  configureNetatalk,
  type NetatalkCheckReport,
  type NetatalkConfigureResult,
  type NetatalkFiles,
} from './netatalk-files.js'
export { AFP_PLIST_PATH, DEFAULT_RECONNECT_KEY_LOCATION } from './paths.js'
export {
  type PlistDict,
  type PlistDocument,
  type PlistFormat,
  parsePlist,
  readPlistFile,
  withTopLevelString,
} from './plist/plist-file.js'
export { type SetReconnectKeyRequest, type SetReconnectKeyResult, setReconnectKey } from './reconnect-key.js'
export { type AfpStatus, afpStatus } from './status.js'
