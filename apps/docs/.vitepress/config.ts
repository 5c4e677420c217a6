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
  // ignoreDeadLinks stays unset: a link to a page that does not exist fails the build.
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/quick-start' },
      { text: 'Reference', link: '/reference/config', activeMatch: '^/reference/' },
    ],
    sidebar,
    // The search index is built into the site: no service, works offline.
    search: { provider: 'local' },
  },
})
