// The witness (issue 22's scrape benchmark): a process that is not ipfo, with a 10 ms timer like a
// 10 ms agent's heartbeat timer, scheduled on plan (no drift). Whenever the timer fires at least
// <thresholdMs> late, it prints {"at" (epoch ms, when it fired), "lateMs"}. A stall the agents and the
// witness share is the machine's (a frozen VM, a host busy elsewhere), not ipfo's.
// node --single-threaded-gc witness.js <intervalMs> <thresholdMs>
const [intervalMs, thresholdMs] = process.argv.slice(2).map(Number)
const now = () => performance.now()
let due = now() + intervalMs
function tick() {
  const at = now()
  const late = at - due
  if (late >= thresholdMs)
    process.stdout.write(`{"at":${(performance.timeOrigin + at).toFixed(1)},"lateMs":${late.toFixed(1)}}\n`)
  due += intervalMs
  if (due <= at) due = at + intervalMs
  setTimeout(tick, due - at)
}
setTimeout(tick, intervalMs)
process.stdout.write('{"ready":true}\n')
