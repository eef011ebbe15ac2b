/**
 * The parts of an OpenAPI 3.1 document that gatehouse writes: enough structure for a user's
 * tooling to merge it, loose enough (`JsonSchema` is any JSON Schema 2020-12 object) to stay true
 * to the specification without modelling all of it.
 *
 * @module
 */

/** A JSON Schema (draft 2020-12, the OpenAPI 3.1 dialect) as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** A media type entry: `{ schema }`. */
export interface OpenApiMediaType {
  readonly schema: JsonSchema;
}

/** A response: its description and, when it has a body, its media types and headers. */
export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
  readonly content?: Readonly<Record<string, OpenApiMediaType>>;
}

/** A query, header or cookie parameter. */
export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

/** One operation (a method on a path). */
export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: {
    readonly required: boolean;
    readonly content: Readonly<Record<string, OpenApiMediaType>>;
  };
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
  /** Alternatives (any one suffices); `[]` = no authentication, `{}` inside = optional. */
  readonly security?: ReadonlyArray<Readonly<Record<string, readonly string[]>>>;
}

/** The methods gatehouse's routes use. */
export type OpenApiMethod = 'get' | 'head' | 'post';

/** A path item: operations by lower-case method. */
export type OpenApiPathItem = Partial<Record<OpenApiMethod, OpenApiOperation>>;

/** A security scheme (RFC 6750 bearer, RFC 7617 Basic, or a cookie / header value). */
export type OpenApiSecurityScheme =
  | {
      readonly type: 'http';
      readonly scheme: 'bearer' | 'basic';
      readonly bearerFormat?: string;
      readonly description: string;
    }
  | {
      readonly type: 'apiKey';
      readonly in: 'header' | 'cookie';
      readonly name: string;
      readonly description: string;
    };

/** The document `openApiDocument` returns. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly servers?: ReadonlyArray<{ readonly url: string; readonly description?: string }>;
  readonly tags: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  /** Full paths (mount path included), e.g. `/auth/login`. */
  readonly paths: Readonly<Record<string, OpenApiPathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly securitySchemes: Readonly<Record<string, OpenApiSecurityScheme>>;
  };
}
