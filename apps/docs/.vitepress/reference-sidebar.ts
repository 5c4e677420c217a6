/** The generated reference pages (written by scripts/generate-reference.ts on every build). */
export const referenceSidebar: { text: string; items: { text: string; link: string }[] }[] = [
  {
    text: 'Reference',
    items: [
      { text: 'Configuration', link: '/reference/config' },
      { text: 'CLI', link: '/reference/cli' },
      { text: 'Metrics', link: '/reference/metrics' },
    ],
  },
]
