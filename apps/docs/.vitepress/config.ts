import { defineConfig } from 'vitepress'

export const sidebar = [
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

export default defineConfig({
  title: 'ipfo',
  description: 'IP failover for Linux and macOS: authenticated heartbeats, ordered hooks, no split brain.',
  cleanUrls: true,
  srcExclude: ['README.md'],
  lastUpdated: false,
  themeConfig: {
    nav: [{ text: 'Guide', link: '/guide/quick-start' }],
    sidebar,
    search: { provider: 'local' },
  },
})
