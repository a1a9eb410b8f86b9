// The error for a bad input: it names the input, and its message says what is allowed.
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}
