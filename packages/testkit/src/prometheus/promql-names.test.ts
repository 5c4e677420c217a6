import { describe, expect, it } from 'vitest'
import { seriesNamesIn } from './promql-names.js'

describe('seriesNamesIn', () => {
  it.each([
    ['up{job=~"ipfo.*"} == 0', ['up']],
    ['sum by (address) (ipfo_address_held) > 1', ['ipfo_address_held']],
    ['increase(ipfo_hook_runs_total{result!="ok"}[5m]) > 0', ['ipfo_hook_runs_total']],
    [
      'histogram_quantile(0.99, sum by (le, step) (rate(ipfo_takeover_step_seconds_bucket{instance=~"$instance"}[$__rate_interval])))',
      ['ipfo_takeover_step_seconds_bucket'],
    ],
    ['ipfo_peer_up * on (instance) group_left (node) ipfo_info', ['ipfo_info', 'ipfo_peer_up']],
    ['rate(process_cpu_seconds_total[1m]) offset 5m', ['process_cpu_seconds_total']],
    [
      'ipfo_quorum_lease_valid == 0 and ipfo_quorum_keys_held > 1e3',
      ['ipfo_quorum_keys_held', 'ipfo_quorum_lease_valid'],
    ],
    ['vector(1)', []],
  ])('%s reads %j', (promql, names) => {
    expect(seriesNamesIn(promql)).toEqual(names)
  })
})
