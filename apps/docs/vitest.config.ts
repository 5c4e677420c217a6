import { defineConfig } from 'vitest/config'
import { sharedTestConfig } from '../../vitest.shared.js'

export default defineConfig({
  test: {
    ...sharedTestConfig,
    include: [...(sharedTestConfig?.include ?? []), 'scripts/**/*.test.ts'],
    // Builds the site first when .vitepress/dist is missing or older than its sources.
    globalSetup: ['test/global-setup.ts'],
  },
})
