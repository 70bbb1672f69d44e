// The named assertions a test makes, and the timings of the calls it makes to its subject
// ("probes"). Once the runner seals the record (the test timed out or returned), whatever a
// still-running test says is ignored, so a late assertion cannot change a stored result.
export type AssertionStatus = 'pass' | 'fail' | 'warn' | 'skip'

export interface Assertion {
  name: string
  status: AssertionStatus
  message: string
  /** Counts toward security_score. */
  security?: boolean
  recommendation?: string
  details?: Record<string, unknown>
  at: string
}

export interface AssertionOptions {
  security?: boolean
  /** What an operator should do when this is a failure or a warning. */
  recommendation?: string
  details?: Record<string, unknown>
}

export class Assertions {
  private readonly recorded: Assertion[] = []
  private readonly timings: number[] = []
  private sealed = false

  pass(name: string, message: string, options: AssertionOptions = {}): void {
    this.add('pass', name, message, options)
  }
  fail(name: string, message: string, options: AssertionOptions = {}): void {
    this.add('fail', name, message, options)
  }
  warn(name: string, message: string, options: AssertionOptions = {}): void {
    this.add('warn', name, message, options)
  }
  skip(name: string, message: string, options: AssertionOptions = {}): void {
    this.add('skip', name, message, options)
  }

  /** Passes or fails on `ok`; returns it so a test can stop early. */
  check(name: string, ok: boolean, messages: { pass: string; fail: string }, options: AssertionOptions = {}): boolean {
    this.add(ok ? 'pass' : 'fail', name, ok ? messages.pass : messages.fail, options)
    return ok
  }

  /** Times one call to the subject; its duration is a response-time sample, thrown or not. */
  async probe<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now()
    try {
      const value = await work()
      return { value, ms: this.time(started) }
    } catch (error) {
      this.time(started)
      throw error
    }
  }

  seal(): void {
    this.sealed = true
  }

  get all(): readonly Assertion[] {
    return this.recorded
  }
  get responseTimes(): readonly number[] {
    return this.timings
  }

  private time(started: number): number {
    const ms = performance.now() - started
    if (!this.sealed) this.timings.push(ms)
    return ms
  }

  private add(status: AssertionStatus, name: string, message: string, options: AssertionOptions): void {
    if (this.sealed) return
    this.recorded.push({ name, status, message, ...options, at: new Date().toISOString() })
  }
}

/** The message of anything thrown, for an assertion. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0])
  return error instanceof Error ? error.message || error.name : String(error)
}
