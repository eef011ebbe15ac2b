/**
 * `gatehouse/openfga`: load models written in the OpenFGA modeling language (schema 1.1), with
 * CEL conditions, into the gatehouse policy evaluator. A subpath of its own, so that the parser
 * (antlr4) and the CEL evaluator load only for applications that use them.
 *
 * @module gatehouse/openfga
 */
export { CelConditionError, celCondition, IpAddress, type OpenFgaParameterType } from './policy/cel.js';
export {
  fromOpenFgaTuple,
  loadOpenFgaModel,
  OpenFgaModelError,
  type OpenFgaModelJson,
  type OpenFgaModelProblem,
  type OpenFgaRelationReference,
  type OpenFgaTupleKey,
  type OpenFgaUserset,
  openFgaJsonToModel,
} from './policy/openfga.js';
