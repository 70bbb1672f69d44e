// How work cut short by an AbortSignal is reported: TIMEOUT when its time ran out.

export function abortCode(signal: AbortSignal): 'TIMEOUT' | 'ABORTED' {
  const reason: unknown = signal.reason
  return reason instanceof Error && reason.name === 'TimeoutError' ? 'TIMEOUT' : 'ABORTED'
}
