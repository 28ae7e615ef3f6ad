/** JSON errors of the API: `{ error: { code, message, parameter? } }` with the HTTP status they travel with. */

/** An error the client can act on: a bad parameter (400), an unknown id (404), an unavailable store (503). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 naming the parameter that is wrong and why. */
export function badParameter(parameter: string, problem: string): ApiError {
  return new ApiError(400, 'bad_parameter', `${parameter}: ${problem}`, parameter);
}

/** 404 for an id the site model does not know. */
export function notFound(kind: string, id: string): ApiError {
  return new ApiError(404, 'not_found', `unknown ${kind} '${id}'`);
}

/** The body of an error response. */
export function errorBody(err: ApiError): { error: { code: string; message: string; parameter?: string } } {
  return { error: { code: err.code, message: err.message, ...(err.parameter ? { parameter: err.parameter } : {}) } };
}
