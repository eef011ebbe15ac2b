export {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  type AccessTokenInput,
  type AccessTokenSettings,
  signAccessToken,
  verifyAccessToken,
} from './access-token.js';
export {
  CLIENT_FAMILY_PREFIX,
  clientSubjectId,
  type IssuedClientToken,
  isClientTokenRecord,
  tokenRecordSubject,
} from './client-token.js';
export {
  type AsymmetricKeyInput,
  JWS_ALGORITHMS,
  type JwsAlgorithm,
  type KeyConfig,
  KeySet,
  loadKeySet,
} from './keys.js';
export { hashOpaqueToken, REFRESH_TOKEN_PREFIX, randomId } from './opaque.js';
export { estimateEntropyBits, MIN_HMAC_SECRET_BYTES, weakSecretReason } from './secret-strength.js';
export {
  type IssuedTokens,
  type RefreshOptions,
  TokenService,
  type TokenServiceOptions,
  type TokenSubject,
  type VerifiedAccessToken,
} from './token-service.js';
