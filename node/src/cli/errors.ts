import { DcmxError } from '../core/errors.ts'

export class CliError extends DcmxError {
  override name = 'CliError'
}
