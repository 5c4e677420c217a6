import { defineConfig } from 'vitest/config'
import { sharedTestConfig } from '../../vitest.shared.js'

// oclif prints with console.log; @oclif/test's runCommand captures process.stdout, which it only
// sees when vitest does not intercept the console itself.
export default defineConfig({ test: { ...sharedTestConfig, disableConsoleIntercept: true } })
