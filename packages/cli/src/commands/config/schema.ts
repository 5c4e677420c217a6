import { IpfoCommand } from '../../base-command.js'

export default class ConfigSchema extends IpfoCommand {
  static override summary = 'Print the JSON Schema of the config file (for editors and validators).'
  static override examples = ['<%= config.bin %> config schema > ipfo.schema.json']

  async run(): Promise<object> {
    await this.parse(ConfigSchema)
    const { configJsonSchema } = await import('@ipfo/core')
    const schema = configJsonSchema()
    if (!this.jsonEnabled()) this.log(JSON.stringify(schema, null, 2))
    return schema
  }
}
