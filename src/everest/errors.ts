// EVerest's closed set of command error types (everest-framework CmdErrorType), in one place.
export const EVEREST_ERROR_TYPES = [
  'MessageParsingError', // the call could not be read as a command (envelope or args not of the right shape)
  'SchemaValidationError', // an argument or the result does not match the interface's schema
  'HandlerException', // the handler threw
  'CmdTimeout', // the provider did not answer in time (caller side)
  'Shutdown', // the provider is shutting down
  'NotReady', // the provider is not serving yet
] as const;

export type EverestErrorType = (typeof EVEREST_ERROR_TYPES)[number];

export const ERROR_TYPE_KEY = '__everest__error_type';
export const ERROR_MESSAGE_KEY = '__everest__error_msg';

export class CmdError extends Error {
  constructor(
    readonly type: EverestErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'CmdError';
  }
}

export function errorObject(error: CmdError): Record<string, string> {
  return { [ERROR_TYPE_KEY]: error.type, [ERROR_MESSAGE_KEY]: error.message };
}

/** The CmdError an answer's `error` object stands for, or undefined if it is not one. */
export function parseErrorObject(value: unknown): CmdError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as Record<string, unknown>)[ERROR_TYPE_KEY];
  const message = (value as Record<string, unknown>)[ERROR_MESSAGE_KEY];
  if (!EVEREST_ERROR_TYPES.includes(type as EverestErrorType)) return undefined;
  return new CmdError(type as EverestErrorType, typeof message === 'string' ? message : '');
}
