import { AfpError } from '../errors.js'

/** An element of an XML plist and where it sits in the text, so one value can be replaced in place. */
export interface XmlElement {
  readonly name: string
  /** Offset of `<`. */
  readonly start: number
  /** Offset just after the closing tag (or after `/>`). */
  readonly end: number
  /** Offset just after the opening tag: where the content begins. */
  readonly contentStart: number
  /** Offset of the closing tag: where the content ends. */
  readonly contentEnd: number
  readonly selfClosing: boolean
  readonly line: number
  readonly children: XmlElement[]
}

const MARKUP =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE(?:[^>[]|\[[\s\S]*?\])*>|<(\/?)([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|</
const LEAVES = new Set(['key', 'string', 'integer', 'real', 'date', 'data'])

/**
 * Reads the element structure of an XML plist with the offsets of every element, and checks that the
 * tags nest. Values are left to the `plist` library; this is what lets an edit touch only the bytes of
 * the value it changes, so every other key keeps its exact text, type, comments and layout.
 */
export function xmlSpans(text: string, file: string): XmlElement {
  const lineAt = lineIndex(text)
  const fail = (offset: number, what: string): never => {
    throw new AfpError(`${file}:${lineAt(offset)}: ${what}`, {
      file,
      hint: 'the plist is not well-formed XML: restore it from a backup, or check it with `plutil -lint` on a Mac',
    })
  }
  const root: XmlElement[] = []
  const stack: { el: Omit<XmlElement, 'end' | 'contentEnd'> & { children: XmlElement[] } }[] = []
  const re = new RegExp(MARKUP.source, 'g')
  let last = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    checkText(text.slice(last, m.index), last, stack.at(-1)?.el.name, fail)
    last = m.index + m[0].length
    if (m[0] === '<') fail(m.index, 'a "<" that starts no tag')
    const name = m[2]
    if (name === undefined) {
      if (m[0].startsWith('<![CDATA[') && !LEAVES.has(stack.at(-1)?.el.name ?? '')) {
        fail(m.index, 'CDATA outside a value')
      }
      continue
    }
    if (m[1] === '/') {
      const open = stack.pop()
      if (!open) fail(m.index, `</${name}> closes nothing`)
      else if (open.el.name !== name)
        fail(m.index, `<${open.el.name}> (line ${open.el.line}) is closed by </${name}>`)
      else {
        const done: XmlElement = { ...open.el, end: last, contentEnd: m.index }
        ;(stack.at(-1)?.el.children ?? root).push(done)
      }
      continue
    }
    if (LEAVES.has(stack.at(-1)?.el.name ?? '')) fail(m.index, `<${name}> inside <${stack.at(-1)?.el.name}>`)
    if (stack.length === 0 && name !== 'plist') fail(m.index, `the root element is <${name}>, not <plist>`)
    const el = {
      name,
      start: m.index,
      contentStart: last,
      selfClosing: m[4] === '/',
      line: lineAt(m.index),
      children: [] as XmlElement[],
    }
    if (el.selfClosing) (stack.at(-1)?.el.children ?? root).push({ ...el, end: last, contentEnd: last })
    else stack.push({ el })
  }
  checkText(text.slice(last), last, stack.at(-1)?.el.name, fail)
  const open = stack.at(-1)
  if (open)
    fail(text.length, `<${open.el.name}> (line ${open.el.line}) is never closed: the file is cut short`)
  const [plist, ...more] = root
  if (!plist) fail(0, 'no <plist> element: this is not an XML property list')
  if (plist?.name !== 'plist') fail(plist?.start ?? 0, `the root element is <${plist?.name}>, not <plist>`)
  if (more[0]) fail(more[0].start, 'a second root element after </plist>')
  return plist as XmlElement
}

function checkText(
  chunk: string,
  offset: number,
  inside: string | undefined,
  fail: (offset: number, what: string) => never,
) {
  if (inside && LEAVES.has(inside)) return
  const stray = chunk.search(/\S/)
  if (stray >= 0) fail(offset + stray, `text "${chunk.trim().slice(0, 20)}" outside any value`)
}

function lineIndex(text: string): (offset: number) => number {
  const starts = [0]
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] ?? 0) <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}
