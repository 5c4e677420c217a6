import type { ViteUserConfig } from 'vitest/config'

/** Settings every workspace's vitest shares: the human reporter, plus a JSON report that scripts/test.mjs adds up. */
export const sharedTestConfig: ViteUserConfig['test'] = {
  reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
  include: ['src/**/*.test.ts', 'test/**/*.test.ts', '*.test.ts'],
  testTimeout: 30_000,
  hookTimeout: 30_000,
  exclude: ['**/node_modules/**', '**/dist/**'],
}
