/** Structured warnings returned with every result that could not be complete (never a silent zero). */

/** A machine-readable code and a sentence for a person. */
export interface Warning {
  code: string;
  message: string;
}

/** Shorthand constructor. */
export const warn = (code: string, message: string): Warning => ({ code, message });
