/**
 * Whether a process started by a test listens yet: a TCP connect to 127.0.0.1, tried until it is
 * accepted.
 */
import { connect } from 'node:net'

/** Whether something accepts connections on 127.0.0.1:`port` now. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}

/**
 * Tries `port` every 100 ms until it accepts a connection (true), or until `gaveUp()` (the process
 * exited) or the time `deadline` (`Date.now()` ms) is past (false).
 */
export async function waitForPort(port: number, deadline: number, gaveUp: () => boolean): Promise<boolean> {
  while (!(await portOpen(port))) {
    if (gaveUp() || Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}
