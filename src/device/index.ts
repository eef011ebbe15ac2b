export {
  type DeviceAuthorization,
  DeviceService,
  type DeviceServiceOptions,
  type PendingDeviceRequest,
} from './device-service.js';
export {
  AccessDeniedError,
  AuthorizationPendingError,
  DeviceCodeExpiredError,
  DeviceFlowNotConfiguredError,
  InvalidUserCodeError,
  SlowDownError,
} from './errors.js';
export {
  formatUserCode,
  MAX_DEVICE_CODE_LENGTH,
  newDeviceCode,
  newUserCode,
  normalizeUserCode,
  USER_CODE_ALPHABET,
  USER_CODE_LENGTH,
} from './user-code.js';
