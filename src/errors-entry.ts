// sealwire/errors: the error type and its codes alone, for code that only classifies failures
// (logging, metrics, a transport's close handler) and need not load the rest of the library.
export { ProtocolError, ERROR_CODES, isProtocolError, type ErrorCode } from './errors.js';
