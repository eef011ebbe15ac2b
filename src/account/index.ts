export { AccountService, type AccountServiceOptions } from './account-service.js';
export { type OneTimeTokenPurpose, OneTimeTokens, type RedeemedToken } from './one-time-tokens.js';
