/** A variable's value the service cannot start with; the message starts with the variable's name. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string
  ) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}
