/** ipfo's documented exit codes. Only the CLI maps errors to these. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  address: 4,
  control: 5,
} as const
