export { CustosError, isCustosError, toErrorValue } from './custos-error.ts';
export type { ErrorDetails, ErrorValue } from './custos-error.ts';
export { ERROR_CODES } from './codes.ts';
export type { ErrorCode } from './codes.ts';
