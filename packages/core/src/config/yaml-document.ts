// The YAML parser, alone in a module so the peek loads it only when it needs it: imported
// dynamically (from peek.ts), and in the peek's bundle a chunk of its own with this named export.
export { parseDocument } from 'yaml'
