/**
 * The series names a PromQL expression reads (`rate(ipfo_x_total{link="a"}[1m])` -> `ipfo_x_total`),
 * so the docs' dashboard and rules can be checked against the metric catalogue. A small lexer, not
 * a parser: enough for the expressions ipfo's docs write (no `__name__` matchers). Grafana's
 * `$variables` may stay in: they are dropped with the strings and ranges they sit in.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
])

export function seriesNamesIn(promql: string): string[] {
  const bare = promql
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
  const names = new Set<string>()
  for (const match of bare.matchAll(/\$?[A-Za-z_:][\w:]*|\d[\w.]*/g)) {
    const token = match[0]
    if (/^[\d$]/.test(token) || KEYWORDS.has(token.toLowerCase())) continue
    const after = bare.slice((match.index ?? 0) + token.length)
    if (/^\s*\(/.test(after)) continue // a function or an aggregation
    names.add(token)
  }
  return [...names].sort()
}
