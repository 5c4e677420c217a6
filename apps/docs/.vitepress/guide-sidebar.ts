/** The hand-written pages: guides, concepts, hooks, operations. */
export const guideSidebar = [
  {
    text: 'Guide',
    items: [
      { text: 'Introduction', link: '/' },
      { text: 'Quick start', link: '/guide/quick-start' },
      { text: 'AFP failover', link: '/guide/afp' },
    ],
  },
  {
    text: 'Hooks',
    items: [{ text: 'The hook contract', link: '/hooks/contract' }],
  },
]
