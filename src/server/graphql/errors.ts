/**
 * How failures reach a GraphQL client. Expected failures are DomainErrors (kernel/errors.ts): a field that
 * declares them returns them as a result-union member; anywhere else they become a GraphQL error whose
 * `extensions` carry the stable `code` and the error's own fields (`retryAfterSeconds`, `missing`, `field`,
 * ...), so a client never parses an English message. Anything else is unexpected: logged and masked.
 */
import { GraphQLError } from 'graphql';
import { DomainError } from '../kernel/errors.js';

/** Authentication failures are not domain results: HTTP 401, or graphql-ws close 4403 at connect. */
export function unauthenticated(message = 'authentication required'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** A DomainError as a GraphQL error with its code and fields in `extensions`. */
export function domainGraphQLError(err: DomainError, at?: GraphQLError): GraphQLError {
  return new GraphQLError(err.message, { nodes: at?.nodes, path: at?.path, extensions: { code: err.code, ...err.fields() } });
}

/** The DomainError behind a GraphQL error, if any. */
export function domainErrorOf(error: unknown): DomainError | undefined {
  const original = error instanceof GraphQLError ? error.originalError : error;
  return original instanceof DomainError ? original : undefined;
}
