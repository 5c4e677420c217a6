/** The hand-written pages: guides, concepts, hooks, migration, operations, performance. */
export const guideSidebar = [
  {
    text: 'Guide',
    items: [
      { text: 'Introduction', link: '/' },
      { text: 'Install', link: '/guide/install' },
      { text: 'Quick start', link: '/guide/quick-start' },
      { text: 'AFP failover', link: '/guide/afp' },
      { text: 'A cluster on etcd', link: '/guide/etcd' },
    ],
  },
  {
    text: 'Concepts',
    items: [
      { text: 'Nodes and heartbeat links', link: '/concepts/links' },
      { text: 'Detection time', link: '/concepts/detection' },
      { text: 'States and the checklist', link: '/concepts/checklist' },
      { text: 'Failback', link: '/concepts/failback' },
      { text: 'More than two nodes', link: '/concepts/more-than-two-nodes' },
      { text: 'Split brain', link: '/concepts/split-brain' },
      { text: 'Quorum and fencing', link: '/concepts/quorum' },
      { text: 'Health checks', link: '/concepts/health-checks' },
      { text: 'When the agent itself dies', link: '/concepts/agent-death' },
      { text: 'Simulation testing', link: '/concepts/simulation' },
    ],
  },
  {
    text: 'Hooks',
    items: [
      { text: "Apple's hook layout", link: '/hooks/apple-layout' },
      { text: 'The hook contract', link: '/hooks/contract' },
      { text: 'The stdlib hooks', link: '/hooks/stdlib' },
      { text: 'Writing a hook', link: '/hooks/writing' },
    ],
  },
  {
    text: 'Migration',
    items: [
      { text: "From Apple's IP failover", link: '/migration/apple' },
      { text: 'From keepalived', link: '/migration/keepalived' },
    ],
  },
  {
    text: 'Operations',
    items: [
      { text: 'Monitoring', link: '/operations/monitoring' },
      { text: 'Metrics (Prometheus)', link: '/operations/metrics' },
      { text: 'Alerting and dashboards', link: '/operations/alerting' },
      { text: 'Maintenance', link: '/operations/maintenance' },
      { text: 'Troubleshooting', link: '/operations/troubleshooting' },
      { text: 'Upgrades and key rotation', link: '/operations/upgrades' },
      { text: 'Security', link: '/operations/security' },
    ],
  },
  {
    text: 'Performance',
    items: [{ text: 'Benchmarks', link: '/performance' }],
  },
]
