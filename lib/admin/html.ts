/**
 * An `html` tagged template that escapes every interpolated value by default: text goes through
 * {@link escapeHtml}, fragments built by `html` itself are kept as they are, arrays are joined,
 * and `undefined`, `null` and `false` render nothing. Trusted markup that is not built by `html`
 * (the page's CSS and inline script) must be marked with {@link raw}, so reviewing the page for
 * injection is a search for `raw(`.
 *
 * @module
 */

/** A fragment of markup: built by `html` or marked trusted by `raw`. */
export class Html {
  /** The markup. */
  readonly value: string
  constructor(value: string) {
    this.value = value
  }

  toString(): string {
    return this.value
  }
}

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/**
 * Marks markup as trusted: it is inserted as it is. Only for text this module's callers wrote
 * themselves, never for anything derived from a request or a member.
 *
 * @example
 * ```ts
 * html`<style>${raw(CSS)}</style>`
 * ```
 */
export function raw(markup: string): Html {
  return new Html(markup)
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value
  if (value === undefined || value === null || value === false) return ''
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(value)
}

/**
 * Builds markup, escaping every value unless it is itself `html` (or `raw`).
 *
 * @example
 * ```ts
 * const id = '<img src=x onerror=alert(1)>'
 * html`<td title="${id}">${id}</td>`.value   // '<td title="&lt;img src=x onerror=alert(1)&gt;">&lt;img …&gt;</td>'
 * html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value   // '<ul><li>a</li><li>b</li></ul>'
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '')
  return new Html(out)
}
