export { type AfpNodeFixture, afpNode } from './afp-node.js'
export { afpPlistValue, binaryPlist, xmlPlist } from './afp-plist-fixture.js'
export { type FaultyFs, faultyFs, type WriteStep } from './faulty-fs.js'
export { bindMount, isRoot, mountTmpfs, type TestVolume } from './tmpfs.js'
