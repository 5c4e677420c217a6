export { AfpConfDocument, type AfpConfVolume, MAX_SIGNATURE_LENGTH, parseAfpConf } from './afp-conf.js'
export type { AfpConfEntry, AfpConfParamEntry, ParamParts } from './afp-conf-syntax.js'
export type { CheckItem } from './check-item.js'
export type { SharedStorageLookup, SharedStorageVerdict } from './cnid-check.js'
export { type CnidDbPath, cnidDbPath, type DbPathSource } from './cnid-dbpath.js'
export {
  generateSignature,
  type NetatalkConfigureChange,
  type NetatalkConfigurePlan,
  type NetatalkConfigureRequest,
  planNetatalkConfigure,
} from './configure.js'
export { type NetatalkNodeSettings, type NetatalkVolumeSettings, nodeSettings } from './node-settings.js'
export { checkNetatalkPair, type NetatalkPairCheckOptions } from './pair-check.js'
export {
  DEFAULT_AFP_CONF_PATH,
  DEFAULT_NETATALK_STATE_DIR,
  DEFAULT_SIGNATURE_PATH,
  DEFAULT_VOLUUID_PATH,
} from './paths.js'
export {
  parseSignatureFile,
  parseVolUuidFile,
  SIGNATURE_FILE,
  uuidOf,
  VOLUUID_FILE,
  type VolUuidEntry,
  type VolUuidFile,
  type VolUuidWarning,
} from './voluuid.js'
