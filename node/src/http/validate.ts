import type { z } from 'zod'

import { ValidationError } from '../core/errors.ts'

/** Parses a boundary input or throws a ValidationError that names the offending fields. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value)
  if (!r.success) {
    const details = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ')
    throw new ValidationError(`Invalid ${what}`, { details })
  }
  return r.data
}
