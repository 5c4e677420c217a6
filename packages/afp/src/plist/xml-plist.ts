import { AfpError } from '../errors.js'
import { type XmlElement, xmlSpans } from './xml-spans.js'

const VALUE_TEXT: Record<string, RegExp> = {
  integer: /^\s*[+-]?(\d+|0x[0-9a-f]+)\s*$/i,
  real: /^\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?inf(inity)?|nan)\s*$/i,
  date: /^\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\s*$/,
  data: /^[A-Za-z0-9+/=\s]*$/,
}
const CONTAINERS = new Set(['dict', 'array'])
const SCALARS = new Set(['string', 'integer', 'real', 'date', 'data', 'true', 'false'])

/**
 * Checks an XML plist strictly (the `plist` library is lenient: it reads `<integer>x</integer>` as
 * null and a key with no value as "") and returns its root value element.
 */
export function checkXmlPlist(text: string, file: string): XmlElement {
  const plist = xmlSpans(text, file)
  const fail = (el: XmlElement, what: string): never => {
    throw new AfpError(`${file}:${el.line}: ${what}`, {
      file,
      hint: 'restore the plist from a backup, or check it with `plutil -lint` on a Mac',
    })
  }
  const [root, extra] = plist.children
  if (!root) return fail(plist, '<plist> holds no value')
  if (extra) fail(extra, '<plist> holds more than one value')
  const visit = (el: XmlElement): void => {
    if (el.name === 'key') fail(el, '<key> outside a <dict>')
    if (!CONTAINERS.has(el.name) && !SCALARS.has(el.name)) fail(el, `<${el.name}> is not a plist element`)
    if (el.name === 'true' || el.name === 'false') {
      if (!el.selfClosing && text.slice(el.contentStart, el.contentEnd).trim())
        fail(el, `<${el.name}> must be empty`)
      return
    }
    const pattern = VALUE_TEXT[el.name]
    if (pattern && !pattern.test(leafText(text, el))) {
      fail(
        el,
        `<${el.name}> holds "${leafText(text, el).trim().slice(0, 30)}", which is not a valid ${el.name}`,
      )
    }
    if (el.name === 'array') el.children.forEach(visit)
    if (el.name === 'dict') {
      el.children.forEach((child, i) => {
        if (i % 2 === 0 && child.name !== 'key')
          fail(child, `<${child.name}> where a <key> belongs in the <dict>`)
        if (i % 2 === 1) visit(child)
      })
      const lastKey = el.children.length % 2 === 1 ? el.children.at(-1) : undefined
      if (lastKey) fail(lastKey, `the key "${leafText(text, lastKey)}" has no value`)
    }
  }
  visit(root)
  return root
}

/** The text of a leaf element, entities and CDATA decoded. */
export function leafText(text: string, el: XmlElement): string {
  if (el.selfClosing) return ''
  return text
    .slice(el.contentStart, el.contentEnd)
    .replace(
      /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi,
      (all, cdata, ent) => {
        if (cdata !== undefined) return cdata
        if (ent === undefined) return ''
        const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
        const e = String(ent).toLowerCase()
        if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16))
        if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10))
        return named[e] ?? all
      },
    )
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * Sets a string under a key of the top-level dict by replacing only that value's bytes (or inserting
 * the pair before the dict's end, indented like its neighbours). Everything else stays byte for byte.
 */
export function setXmlTopLevelString(text: string, file: string, key: string, value: string): string {
  const root = checkXmlPlist(text, file)
  if (root.name !== 'dict') {
    throw new AfpError(`${file}: the plist's top level is <${root.name}>, not a <dict>`, {
      file,
      hint: 'this is not an AppleFileServer plist: check the --plist path',
    })
  }
  const string = `<string>${escapeXml(value)}</string>`
  const pairs = root.children
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const k = pairs[i] as XmlElement
    const v = pairs[i + 1] as XmlElement
    if (leafText(text, k) !== key) continue
    if (v.name !== 'string') {
      throw new AfpError(`${file}:${v.line}: ${key} is a <${v.name}>, not a <string>`, {
        file,
        path: key,
        hint: `set ${key} to a path, e.g. with \`defaults write\` on a Mac, then run the command again`,
      })
    }
    return text.slice(0, v.start) + string + text.slice(v.end)
  }
  if (root.selfClosing)
    return `${text.slice(0, root.start)}<dict><key>${escapeXml(key)}</key>${string}</dict>${text.slice(root.end)}`
  const newline = text.includes('\r\n') ? '\r\n' : '\n'
  const closeLineStart = text.lastIndexOf('\n', root.contentEnd - 1) + 1
  const closeOnOwnLine = text.slice(closeLineStart, root.contentEnd).trim() === ''
  const pair = `<key>${escapeXml(key)}</key>`
  if (!closeOnOwnLine || !pairs[0]) {
    return text.slice(0, root.contentEnd) + pair + string + text.slice(root.contentEnd)
  }
  const firstKey = pairs[0]
  const indent = text.slice(text.lastIndexOf('\n', firstKey.start - 1) + 1, firstKey.start)
  const insert = `${indent}${pair}${newline}${indent}${string}${newline}`
  return text.slice(0, closeLineStart) + insert + text.slice(closeLineStart)
}
