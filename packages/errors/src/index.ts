export { CodedError, isCodedError, withCode } from './coded-error.js';
