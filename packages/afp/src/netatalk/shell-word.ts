/** `value` as one shell word, quoted only when it has to be, for commands shown in hints. */
export function shellWord(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}
