import { defineConfig } from 'vitepress'
import { guideSidebar } from './guide-sidebar.js'
import { referenceSidebar } from './reference-sidebar.js'

export const sidebar = [...guideSidebar, ...referenceSidebar]

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
