/**
 * Whether the suite runs in CI, where a missing tool (Tomcat, nginx, httpd, Chromium) fails a test
 * instead of skipping it. `CI` counts when set to anything but an empty string, `0`, `false`, `no`
 * or `off` (any case): runners set it as `true`, `1` or `yes`.
 */
export function isCiValue(value: string | undefined): boolean {
  if (value === undefined) return false
  return !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase())
}

/** Whether this process runs in CI (see {@link isCiValue}). */
export const inCi = isCiValue(process.env.CI)
