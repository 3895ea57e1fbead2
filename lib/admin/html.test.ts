import { describe, expect, it } from 'vitest'
import { Html, escapeHtml, html, raw } from './html.js'

describe('html tag', () => {
  it.each([
    ['text', html`<p>${'<b>&"\''}</p>`, '<p>&lt;b&gt;&amp;&quot;&#39;</p>'],
    ['attribute', html`<a title="${'" onmouseover="x'}">`, '<a title="&quot; onmouseover=&quot;x">'],
    ['nested fragment kept', html`<div>${html`<i>${'<'}</i>`}</div>`, '<div><i>&lt;</i></div>'],
    ['array joined, each escaped', html`<ul>${['<a>', html`<li>b</li>`]}</ul>`, '<ul>&lt;a&gt;<li>b</li></ul>'],
    ['nothing for undefined, null, false', html`${undefined}${null}${false}|`, '|'],
    ['numbers', html`${0} ${1.5}`, '0 1.5'],
    ['raw inserted as is', html`<style>${raw('a>b{}')}</style>`, '<style>a>b{}</style>'],
    ['cooked escapes of the template', html`pattern="[A-Z\\-]"`, 'pattern="[A-Z\\-]"'],
  ])('%s', (_name, fragment, expected) => {
    expect(fragment).toBeInstanceOf(Html)
    expect(fragment.value).toBe(expected)
    expect(String(fragment)).toBe(expected)
  })

  it('a plain string that looks like markup is still escaped (only Html is trusted)', () => {
    const fake = { value: '<script>', toString: () => '<script>' }
    expect(html`${fake}`.value).toBe('&lt;script&gt;')
    expect(escapeHtml('<script>')).toBe('&lt;script&gt;')
  })
})
