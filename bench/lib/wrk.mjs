// Running wrk and reading its report.
import { spawn } from 'node:child_process'

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text)
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN
}

/** Parses wrk's text report (`--latency`). */
export function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out)
    return m ? Number(m[1]) : 0
  }
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const sessions = /bench-new-sessions: (\d+) of (\d+)/.exec(out)
  const lat = (pct) => {
    const m = new RegExp(`^\\s+${pct}%\\s+(\\S+)`, 'm').exec(out)
    return m ? toMs(m[1]) : NaN
  }
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: lat(50),
    p99: lat(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    socketDetail: socket ? { connect: +socket[1], read: +socket[2], write: +socket[3], timeout: +socket[4] } : undefined,
    newSessions: sessions ? Number(sessions[1]) : undefined,
    responses: sessions ? Number(sessions[2]) : undefined,
  }
}

/**
 * Runs `wrk -t1 -c<connections> -d<duration>s --latency [-s script] url` and resolves with the
 * parsed report and the raw text.
 */
export function runWrk({ url, duration, connections = 32, script, env = {}, timeoutSeconds = 10 }) {
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', `--timeout`, `${timeoutSeconds}s`]
  if (script) args.push('-s', script)
  args.push(url)
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { err += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${err || out}`))
      resolve({ ...parseWrk(out), raw: out })
    })
  })
}
