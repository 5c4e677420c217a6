// The scraper (issue 22): every <everyMs> GETs each <url> over a kept-alive connection, as
// Prometheus does, and prints one JSON line per scrape: {"url", "at" (epoch ms), "ok", "ms" (round
// trip), "render" (the ipfo_metrics_render_seconds the answer reports: the previous render's), "bytes"}.
// A target still answering the last scrape is not asked again (Prometheus never overlaps a
// target's scrapes): that tick prints "skipped". Run inside the client namespace:
// node scraper.js <everyMs> <timeoutMs> <url>...
import { Agent, get } from 'node:http'

const [everyMs, timeoutMs, ...urls] = process.argv.slice(2)
const agent = new Agent({ keepAlive: true, maxSockets: 1 })
const now = () => performance.timeOrigin + performance.now()
const busy = new Set()
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`)

function scrape(url) {
  if (busy.has(url)) return print({ url, at: now(), ok: false, skipped: true })
  busy.add(url)
  const at = now()
  let finished = false
  const done = (fields) => {
    if (finished) return
    finished = true
    busy.delete(url)
    print({ url, at, ms: Math.round((now() - at) * 1000) / 1000, ...fields })
  }
  const request = get(url, { agent, timeout: Number(timeoutMs) }, (response) => {
    const chunks = []
    response.on('data', (chunk) => chunks.push(chunk))
    response.on('error', (error) => done({ ok: false, error: error.message }))
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const render = /^ipfo_metrics_render_seconds (\S+)$/m.exec(text)?.[1]
      done({
        ok: response.statusCode === 200,
        status: response.statusCode,
        bytes: text.length,
        ...(render === undefined ? {} : { render: Number(render) }),
      })
    })
  })
  request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
  request.on('error', (error) => done({ ok: false, error: error.message }))
}

print({ ready: true, at: now() })
setInterval(() => {
  for (const url of urls) scrape(url)
}, Number(everyMs))
process.on('SIGTERM', () => process.exit(0))
