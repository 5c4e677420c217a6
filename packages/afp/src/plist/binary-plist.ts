import { AfpError } from '../errors.js'

/**
 * The object table of a binary plist (bplist00), kept as bytes: scalars exactly as they were written
 * (so an integral <real> stays a real and a 64-bit integer keeps its bits, which the `plist` library
 * cannot promise on re-encoding) and containers as lists of object references. An edit changes one
 * object and the table is laid out again around it.
 */
type BplistObject =
  | { readonly kind: 'scalar'; readonly bytes: Uint8Array }
  | { readonly kind: 'container'; readonly type: number; refs: number[] }

interface Bplist {
  objects: BplistObject[]
  top: number
}

const MAGIC = 'bplist00'
const TRAILER = 32
const DICT = 0xd

export const isBinaryPlist = (bytes: Uint8Array) =>
  bytes.length >= 8 && String.fromCharCode(...bytes.subarray(0, 8)) === MAGIC

function readBplist(bytes: Uint8Array, file: string): Bplist {
  const bad = (what: string): never => {
    throw new AfpError(`${file}: not a valid binary plist: ${what}`, {
      file,
      hint: 'restore the plist from a backup, or check it with `plutil -lint` on a Mac',
    })
  }
  if (!isBinaryPlist(bytes)) bad('no bplist00 header')
  if (bytes.length < 8 + TRAILER + 1) bad('the file is cut short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const t = bytes.length - TRAILER
  const offsetSize = view.getUint8(t + 6)
  const refSize = view.getUint8(t + 7)
  const count = Number(view.getBigUint64(t + 8))
  const top = Number(view.getBigUint64(t + 16))
  const tableAt = Number(view.getBigUint64(t + 24))
  if (offsetSize < 1 || offsetSize > 8 || refSize < 1 || refSize > 8) bad('the trailer is damaged')
  if (count < 1 || top >= count || tableAt < 8 || tableAt + count * offsetSize > t)
    bad('the trailer is damaged')
  const uint = (at: number, size: number): number => {
    if (at + size > t) bad('an object runs past the end of the file')
    let n = 0
    for (let i = 0; i < size; i++) n = n * 256 + (bytes[at + i] as number)
    return n
  }
  const objects: BplistObject[] = []
  for (let i = 0; i < count; i++) {
    const at = uint(tableAt + i * offsetSize, offsetSize)
    if (at < 8 || at >= tableAt) bad(`object ${i} points outside the object area`)
    const marker = bytes[at] as number
    const type = marker >> 4
    let length = marker & 0xf
    let header = 1
    if (length === 0xf && type >= 0x4 && type !== 0x8) {
      const intMarker = bytes[at + 1] as number
      if (intMarker >> 4 !== 0x1) bad(`object ${i} has a damaged length`)
      const size = 1 << (intMarker & 0xf)
      length = uint(at + 2, size)
      header = 2 + size
    }
    const body = at + header
    if (type === 0xa || type === 0xb || type === 0xc || type === DICT) {
      const n = type === DICT ? length * 2 : length
      const refs = Array.from({ length: n }, (_, k) => uint(body + k * refSize, refSize))
      if (refs.some((r) => r >= count)) bad(`object ${i} refers to an object that does not exist`)
      objects.push({ kind: 'container', type, refs })
      continue
    }
    const size =
      type === 0x0
        ? 0
        : type === 0x1 || type === 0x2
          ? 1 << (marker & 0xf)
          : type === 0x3
            ? 8
            : type === 0x4 || type === 0x5 || type === 0x7
              ? length
              : type === 0x6
                ? length * 2
                : type === 0x8
                  ? (marker & 0xf) + 1
                  : bad(`object ${i} has an unknown type 0x${type.toString(16)}`)
    if (body + size > tableAt) bad(`object ${i} runs past the object area`)
    objects.push({ kind: 'scalar', bytes: bytes.slice(at, body + size) })
  }
  if (objects[top]?.kind !== 'container' || (objects[top] as { type: number }).type !== DICT) {
    bad('the top level is not a dictionary')
  }
  return { objects, top }
}

const sizeFor = (max: number) => (max < 0x100 ? 1 : max < 0x10000 ? 2 : max < 0x100000000 ? 4 : 8)

function writeUint(out: number[], n: number, size: number) {
  for (let i = size - 1; i >= 0; i--) out.push(Math.floor(n / 256 ** i) % 256)
}

function writeBplist({ objects, top }: Bplist): Uint8Array {
  const refSize = sizeFor(objects.length - 1)
  const out: number[] = [...MAGIC].map((c) => c.charCodeAt(0))
  const offsets: number[] = []
  for (const object of objects) {
    offsets.push(out.length)
    if (object.kind === 'scalar') {
      for (const b of object.bytes) out.push(b)
      continue
    }
    const n = object.type === DICT ? object.refs.length / 2 : object.refs.length
    if (n < 0xf) out.push((object.type << 4) | n)
    else {
      const size = sizeFor(n)
      out.push((object.type << 4) | 0xf, 0x10 | Math.log2(size))
      writeUint(out, n, size)
    }
    for (const ref of object.refs) writeUint(out, ref, refSize)
  }
  const tableAt = out.length
  const offsetSize = sizeFor(tableAt)
  for (const offset of offsets) writeUint(out, offset, offsetSize)
  out.push(0, 0, 0, 0, 0, 0, offsetSize, refSize)
  writeUint(out, objects.length, 8)
  writeUint(out, top, 8)
  writeUint(out, tableAt, 8)
  return Uint8Array.from(out)
}

function stringObject(s: string): Uint8Array {
  const ascii = [...s].every((c) => c.charCodeAt(0) < 0x80)
  const units = Array.from({ length: s.length }, (_, i) => s.charCodeAt(i))
  const out: number[] = []
  const type = ascii ? 0x5 : 0x6
  if (units.length < 0xf) out.push((type << 4) | units.length)
  else {
    const size = sizeFor(units.length)
    out.push((type << 4) | 0xf, 0x10 | Math.log2(size))
    writeUint(out, units.length, size)
  }
  for (const u of units) {
    if (ascii) out.push(u)
    else writeUint(out, u, 2)
  }
  return Uint8Array.from(out)
}

function readString(object: BplistObject | undefined): string | undefined {
  if (object?.kind !== 'scalar') return undefined
  const b = object.bytes
  const type = (b[0] as number) >> 4
  if (type !== 0x5 && type !== 0x6) return undefined
  const header = ((b[0] as number) & 0xf) === 0xf ? 2 + (1 << ((b[1] as number) & 0xf)) : 1
  const body = b.subarray(header)
  if (type === 0x5) return String.fromCharCode(...body)
  let s = ''
  for (let i = 0; i + 1 < body.length; i += 2)
    s += String.fromCharCode(((body[i] as number) << 8) | (body[i + 1] as number))
  return s
}

/**
 * Sets a string under a key of the top-level dictionary of a binary plist. Every other object keeps
 * its exact bytes; the tables are laid out again (wider references when the count needs it).
 */
export function setBinaryTopLevelString(
  bytes: Uint8Array,
  file: string,
  key: string,
  value: string,
): Uint8Array {
  const plist = readBplist(bytes, file)
  const dict = plist.objects[plist.top] as Extract<BplistObject, { kind: 'container' }>
  const half = dict.refs.length / 2
  const add = (object: Uint8Array) => plist.objects.push({ kind: 'scalar', bytes: object }) - 1
  for (let i = 0; i < half; i++) {
    if (readString(plist.objects[dict.refs[i] as number]) !== key) continue
    const valueRef = dict.refs[half + i] as number
    if (readString(plist.objects[valueRef]) === undefined) {
      throw new AfpError(`${file}: ${key} is not a string`, {
        file,
        path: key,
        hint: `set ${key} to a path, e.g. with \`defaults write\` on a Mac, then run the command again`,
      })
    }
    const shared = plist.objects.reduce(
      (n, o) => n + (o.kind === 'container' ? o.refs.filter((r) => r === valueRef).length : 0),
      0,
    )
    if (shared === 1) plist.objects[valueRef] = { kind: 'scalar', bytes: stringObject(value) }
    else dict.refs[half + i] = add(stringObject(value))
    return writeBplist(plist)
  }
  const keyRef = add(stringObject(key))
  const valueRef = add(stringObject(value))
  dict.refs = [...dict.refs.slice(0, half), keyRef, ...dict.refs.slice(half), valueRef]
  return writeBplist(plist)
}

/** Checks the object table of a binary plist (bounds, references, a dictionary at the top). */
export function checkBinaryPlist(bytes: Uint8Array, file: string): void {
  readBplist(bytes, file)
}
