export { generateKey, KEY_BYTES, readKeyFile, writeKeyFile } from './key-file.js'
