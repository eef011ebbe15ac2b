/**
 * The view of a registered client that may leave the server: never the secret hash.
 *
 * @module
 */
import type { ClientGrantType, ClientRecord } from '../storage/types.js';

/** A registered client as shown to administrators and application code. */
export interface PublicClient {
  readonly id: string;
  readonly name: string;
  /** `true` for a client without a secret (a CLI or device using the device grant). */
  readonly isPublic: boolean;
  readonly scopes: readonly string[];
  readonly grantTypes: readonly ClientGrantType[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly disabledAt: Date | null;
}

/** Projects a stored client onto {@link PublicClient}: an allowlist of fields, so the hash never leaks. */
export function toPublicClient(client: ClientRecord): PublicClient {
  return {
    id: client.id,
    name: client.name,
    isPublic: client.secretHash === null,
    scopes: [...client.scopes],
    grantTypes: [...client.grantTypes],
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
    disabledAt: client.disabledAt,
  };
}
