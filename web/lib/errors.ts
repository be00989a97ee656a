// Temporary: replaced by the websw branch's error decoding.
export function describeError(error: unknown): { kind: string; title: string; message: string } {
  const e = error as { shortMessage?: string; message?: string }
  return { kind: 'other', title: 'Failed', message: e?.shortMessage ?? e?.message ?? String(error) }
}
