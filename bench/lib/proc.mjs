// Reading processes from /proc: CPU time, peak RSS, descendants, load average.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'

const TICK = 100 // USER_HZ; Linux reports clock ticks of 1/100 s on every common architecture

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/** utime + stime of one process (all its threads), in seconds; 0 when it is gone. */
export function cpuSeconds(pid) {
  try {
    const f = statFields(pid)
    // after ")": state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK
  } catch {
    return 0
  }
}

/** Every live process whose ancestry reaches `root`, root included. */
export function processTree(root) {
  const children = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const ppid = Number(statFields(name)[1])
      if (!children.has(ppid)) children.set(ppid, [])
      children.get(ppid).push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  const out = []
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop()
    out.push(pid)
    for (const child of children.get(pid) ?? []) stack.push(child)
  }
  return out
}

/** CPU seconds of each process of the trees, keyed by pid (processes born later count from 0). */
export function cpuSnapshot(roots) {
  const snapshot = new Map()
  for (const root of roots) for (const pid of processTree(root)) snapshot.set(pid, cpuSeconds(pid))
  return snapshot
}

/** CPU seconds spent between two snapshots (new processes count in full; vanished ones are lost). */
export function cpuBetween(before, after) {
  let total = 0
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0)
  return Math.max(0, total)
}

function statusKb(pid, field) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/** Sum of VmHWM (peak RSS) over the trees, in MiB. */
export function peakRssMiB(roots) {
  let kb = 0
  for (const root of roots) for (const pid of processTree(root)) kb += statusKb(pid, 'VmHWM')
  return kb / 1024
}

/** Sum of VmRSS over the trees, in MiB. */
export function rssMiB(roots) {
  let kb = 0
  for (const root of roots) for (const pid of processTree(root)) kb += statusKb(pid, 'VmRSS')
  return kb / 1024
}

/** Resets the peak-RSS counter (VmHWM) of every process of the trees (`echo 5 > clear_refs`). */
export function resetPeakRss(roots) {
  for (const root of roots) {
    for (const pid of processTree(root)) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5')
      } catch {
        // not ours, or gone
      }
    }
  }
}

export function loadAverage() {
  return os.loadavg().map((x) => Math.round(x * 100) / 100)
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  return {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: model.trim(),
    kernel: os.release(),
  }
}
