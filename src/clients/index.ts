export {
  CLIENT_GRANT_TYPES,
  DEVICE_CODE_GRANT,
  type RegisterClientInput,
  SCOPE_TOKEN,
  type UpdateClientInput,
} from './client-input.js';
export {
  CLIENT_ID_PREFIX,
  CLIENT_SECRET_PREFIX,
  clientSecretMatches,
  hashClientSecret,
  isValidClientId,
  MAX_CLIENT_ID_LENGTH,
  MAX_CLIENT_SECRET_LENGTH,
  newClientId,
  newClientSecret,
} from './client-secret.js';
export {
  type AuthenticatedClient,
  ClientService,
  type ClientServiceOptions,
  type PresentedClientCredentials,
  type RegisteredClient,
} from './client-service.js';
export { InvalidClientError, UnauthorizedClientError } from './errors.js';
export { type PublicClient, toPublicClient } from './public-client.js';
