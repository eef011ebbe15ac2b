/**
 * OpenFGA conditions: CEL expressions over typed parameters, evaluated with
 * `@marcbachmann/cel-js` (a maintained, dependency-free CEL implementation).
 *
 * A condition `condition is_paid(plan: string) { plan != "free" }` becomes a
 * `ConditionDefinition` whose zod schema reads each declared parameter by name from the
 * condition input's `context`, which the evaluator builds as the request context merged with the
 * tuple's stored context, the tuple's values winning (OpenFGA's rule). The subject's and resource's
 * attributes of a check are not visible to CEL: OpenFGA conditions only ever see parameters.
 * A missing or wrongly typed parameter fails the schema: the check is denied with
 * `condition_input_invalid`. Values are converted to CEL's runtime types (`int` -> bigint,
 * `timestamp` from an RFC 3339 string, `duration` from a string such as `"1h30m"`, ...).
 *
 * The expression is parsed and type-checked at load against the declared parameter types, and
 * must yield a `bool`.
 *
 * @module
 */

import { BlockList, isIP } from 'node:net';
import { evaluate as celEvaluate, Environment } from '@marcbachmann/cel-js';
import { z } from 'zod';
import type { ConditionDefinition } from './model.js';

/** An OpenFGA condition parameter type, as in the model JSON (`TYPE_NAME_STRING`, generics for list/map). */
export interface OpenFgaParameterType {
  readonly type_name: string;
  readonly generic_types?: readonly OpenFgaParameterType[];
}

/** Thrown by {@link celCondition} for an unsupported parameter type or an invalid expression. */
export class CelConditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelConditionError';
  }
}

/** An IP address value for the `ipaddress` parameter type; CEL gets `ip.in_cidr("10.0.0.0/8")`. */
export class IpAddress {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  constructor(address: string) {
    const v = isIP(address);
    if (v === 0) throw new CelConditionError(`invalid IP address ${JSON.stringify(address)}`);
    this.address = address;
    this.family = v === 4 ? 'ipv4' : 'ipv6';
  }
  /** `true` when the address lies in the CIDR block, e.g. `192.168.0.0/16`. */
  inCidr(cidr: string): boolean {
    const [net, bits, extra] = cidr.split('/');
    const prefix = Number(bits);
    const family = isIP(net ?? '');
    if (extra !== undefined || family === 0 || !Number.isInteger(prefix) || bits === '') {
      throw new CelConditionError(`invalid CIDR ${JSON.stringify(cidr)}`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new CelConditionError(`invalid CIDR ${JSON.stringify(cidr)}`);
    }
    if (type !== this.family) return false;
    const list = new BlockList();
    list.addSubnet(net!, prefix, type);
    return list.check(this.address, type);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const integer = z.union([z.bigint(), z.number().int()]).transform((v) => BigInt(v));

interface ParamKind {
  /** The CEL type string, for type checking. */
  readonly cel: string;
  /** The zod schema that validates the JSON value and converts it to CEL's runtime type. */
  readonly schema: z.ZodType;
  /** The OpenFGA spelling, for messages. */
  readonly label: string;
}

function scalar(typeName: string): ParamKind | undefined {
  switch (typeName) {
    case 'TYPE_NAME_ANY':
      return { cel: 'dyn', schema: z.unknown(), label: 'any' };
    case 'TYPE_NAME_BOOL':
      return { cel: 'bool', schema: z.boolean(), label: 'bool' };
    case 'TYPE_NAME_STRING':
      return { cel: 'string', schema: z.string(), label: 'string' };
    case 'TYPE_NAME_INT':
      return {
        cel: 'int',
        schema: integer.refine((v) => v >= INT64_MIN && v <= INT64_MAX, 'out of the int64 range'),
        label: 'int',
      };
    case 'TYPE_NAME_UINT':
      return {
        cel: 'uint',
        schema: integer
          .refine((v) => v >= 0n && v <= UINT64_MAX, 'out of the uint64 range')
          .transform((v): unknown => celEvaluate('uint(v)', { v })),
        label: 'uint',
      };
    case 'TYPE_NAME_DOUBLE':
      return { cel: 'double', schema: z.number(), label: 'double' };
    case 'TYPE_NAME_TIMESTAMP':
      return {
        cel: 'google.protobuf.Timestamp',
        schema: z
          .union([z.iso.datetime({ offset: true }), z.date()])
          .transform((v) => (v instanceof Date ? v : new Date(v)))
          .refine((d) => !Number.isNaN(d.getTime()), 'invalid timestamp'),
        label: 'timestamp',
      };
    case 'TYPE_NAME_DURATION':
      return {
        cel: 'google.protobuf.Duration',
        schema: z
          .string()
          .regex(/^-?(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/, 'a duration such as "1h30m"')
          .transform((s): unknown => celEvaluate('duration(s)', { s })),
        label: 'duration',
      };
    case 'TYPE_NAME_IPADDRESS':
      return {
        cel: 'ipaddress',
        schema: z
          .string()
          .refine((s) => isIP(s) !== 0, 'an IP address')
          .transform((s) => new IpAddress(s)),
        label: 'ipaddress',
      };
    default:
      return undefined;
  }
}

function kindOf(type: OpenFgaParameterType, where: string): ParamKind {
  const generics = type.generic_types ?? [];
  if (type.type_name === 'TYPE_NAME_LIST' || type.type_name === 'TYPE_NAME_MAP') {
    const inner = generics[0];
    if (generics.length !== 1 || inner === undefined) {
      throw new CelConditionError(`${where}: ${type.type_name} needs exactly one generic type`);
    }
    const element = kindOf(inner, where);
    return type.type_name === 'TYPE_NAME_LIST'
      ? { cel: `list<${element.cel}>`, schema: z.array(element.schema), label: `list<${element.label}>` }
      : {
          cel: `map<string, ${element.cel}>`,
          schema: z.record(z.string(), element.schema).transform((record) => new Map(Object.entries(record))),
          label: `map<${element.label}>`,
        };
  }
  if (generics.length > 0) throw new CelConditionError(`${where}: ${type.type_name} takes no generic type`);
  const kind = scalar(type.type_name);
  if (!kind) {
    throw new CelConditionError(
      `${where}: unsupported parameter type ${JSON.stringify(type.type_name)} (supported: any, bool, string, int, uint, double, timestamp, duration, ipaddress, list<T>, map<T>)`,
    );
  }
  return kind;
}

function environment(): Environment {
  return new Environment({ homogeneousAggregateLiterals: false })
    .registerType('ipaddress', { ctor: IpAddress })
    .registerFunction({
      name: 'in_cidr',
      receiverType: 'ipaddress',
      returnType: 'bool',
      handler: (ip: IpAddress, cidr: string) => ip.inCidr(cidr),
      params: [{ name: 'cidr', type: 'string' }],
    });
}

/**
 * Builds a `ConditionDefinition` from an OpenFGA condition: `parameters` by name with their
 * OpenFGA types, and a CEL `expression` that must type-check to `bool`. Throws
 * {@link CelConditionError} for an unsupported type or an expression that does not parse or check.
 */
export function celCondition(
  name: string,
  expression: string,
  parameters: Readonly<Record<string, OpenFgaParameterType>>,
): ConditionDefinition {
  const env = environment();
  const shape: Record<string, z.ZodType> = {};
  for (const param of Object.keys(parameters)) {
    const type = parameters[param]!;
    const kind = kindOf(type, `condition ${name}, parameter ${param}`);
    shape[param] = kind.schema;
    env.registerVariable(param, kind.cel);
  }
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(expression);
  } catch (error) {
    throw new CelConditionError(`condition ${name}: invalid CEL expression: ${firstLine(error)}`);
  }
  const checked = program.check();
  if (!checked.valid) {
    throw new CelConditionError(`condition ${name}: ${firstLine(checked.error)}`);
  }
  if (checked.type !== 'bool') {
    throw new CelConditionError(`condition ${name}: the expression yields ${checked.type}, not bool`);
  }
  const params = z.object({ context: z.object(shape) });
  return {
    params,
    // A non-boolean result (impossible after the type check) would be a condition error, never a grant.
    evaluate: (input) => program((input as z.output<typeof params>).context) as boolean,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
