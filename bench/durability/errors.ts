// Errors of the durability model. Same base class and `code` convention as coder/errors.ts.
import { EdgemirrorError } from '../../coder/errors.ts'

/** A model parameter is outside its domain (k > n, AFR ≥ 1, negative repair time, …). */
export class DurabilityParamsError extends EdgemirrorError {
  constructor (message: string, details: Record<string, unknown> = {}) {
    super('ERR_DURABILITY_PARAMS', message, details)
  }
}
