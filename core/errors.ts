/** A dependency could not be reached or used at start-up; `message` says what, where and how to fix it. */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartupError';
  }
}
