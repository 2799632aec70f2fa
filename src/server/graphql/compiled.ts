/**
 * Compiled execution (graphql-jit) for the relay's hot operations: `sendMessage`, `sendGroupMessage`,
 * `acknowledgeEnvelopes` and the `inbox` subscription, whose events are each one execution. A document whose
 * root fields are all hot (and whose arguments are all variables, as the SDK's are) is compiled once (cached by its parsed document, which yoga's parser cache keeps
 * per query text) into a function that coerces its variables, runs the resolvers and completes the
 * result without walking the document again; every other operation runs on graphql-js as before. The
 * envelop hooks around execution (authentication, error masking, metrics) apply to both alike.
 *
 * One difference is mended here: when variables are refused, graphql-jit's messages name its own internal
 * variables and lose a scalar's explanation, so the refusal is recomputed with graphql-js (only on that
 * path), and a client sees the same message on either executor.
 */
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, getOperationAST, getVariableValues, Kind, type OperationTypeNode, visit } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { makeExecute, makeSubscribe, type Plugin } from 'graphql-yoga';

/** Root fields whose operations are compiled: one or more executions per relayed message. */
export const HOT_ROOT_FIELDS: ReadonlySet<string> = new Set(['sendMessage', 'sendGroupMessage', 'acknowledgeEnvelopes', 'inbox']);

/**
 * Hot: every root field is a hot one, and every argument anywhere in the document is a variable. (graphql-jit
 * copies literal argument values into plain objects, which turns a custom scalar's value, the Uint8Array
 * of an inline `Bytes` literal, into something else: a document with literals runs on graphql-js.)
 */
function hotOperation(document: DocumentNode, operationName?: string | null): OperationTypeNode | null {
  const op = getOperationAST(document, operationName ?? undefined);
  if (!op || op.selectionSet.selections.length === 0) return null;
  if (!op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && !s.directives?.length && HOT_ROOT_FIELDS.has(s.name.value))) return null;
  let literal = false;
  visit(document, {
    Argument(node) {
      if (node.value.kind !== Kind.VARIABLE) literal = true;
    },
  });
  return literal ? null : op.operation;
}

/** graphql-js's own refusal of these variables (undefined: it accepts them). */
function variableRefusal(args: ExecutionArgs): ExecutionResult | undefined {
  const op = getOperationAST(args.document, args.operationName ?? undefined);
  if (!op) return undefined;
  const coerced = getVariableValues(args.schema, op.variableDefinitions ?? [], args.variableValues ?? {});
  return coerced.errors ? { errors: coerced.errors } : undefined;
}

/** A refusal before any field ran (no data, no error with a path) is of the variables: said as graphql-js says it. */
function mended(args: ExecutionArgs, result: unknown): unknown {
  const r = result as ExecutionResult;
  if (r && typeof r === 'object' && 'errors' in r && !r.data && r.errors?.length && !r.errors.some((e) => e.path)) return variableRefusal(args) ?? r;
  return result;
}

/** A compiled hot operation: its kind, and what runs it (a query or mutation's result, or a subscription's stream, with its variables' refusals mended). */
export interface Hot {
  operation: OperationTypeNode;
  run: (args: ExecutionArgs) => unknown;
}

/** By schema, document and operation name: the compiled operation, or null (not hot, or it did not compile). */
const compiledCache = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Hot | null>>>();

/** The compiled form of a hot operation (compiled on first use), or null for any other. */
export function compiledHot(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Hot | null {
  let byDocument = compiledCache.get(schema);
  if (!byDocument) compiledCache.set(schema, (byDocument = new WeakMap()));
  let byName = byDocument.get(document);
  if (!byName) byDocument.set(document, (byName = new Map()));
  const name = operationName ?? '';
  let hot = byName.get(name);
  if (hot === undefined) {
    hot = null;
    const operation = hotOperation(document, operationName);
    if (operation) {
      const compiled = compileQuery(schema, document, operationName ?? undefined);
      if (isCompiledQuery(compiled)) hot = { operation, run: (args: ExecutionArgs) => run(args, compiled) };
    }
    byName.set(name, hot);
  }
  return hot;
}

function run(args: ExecutionArgs, compiled: CompiledQuery): unknown {
  const fn = compiled.subscribe ?? compiled.query;
  const out = fn(args.rootValue, args.contextValue, args.variableValues) as unknown;
  return out instanceof Promise ? out.then((r) => mended(args, r)) : mended(args, out);
}

export function compiledHotOperations(): Plugin {
  const wrapped = new WeakMap<Hot, { execute: unknown; subscribe: unknown }>();
  const entryFor = (args: ExecutionArgs) => {
    const hot = compiledHot(args.schema, args.document, args.operationName);
    if (!hot) return null;
    let entry = wrapped.get(hot);
    if (!entry) wrapped.set(hot, (entry = { execute: makeExecute(hot.run as never), subscribe: makeSubscribe(hot.run as never) }));
    return entry;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      const entry = entryFor(args);
      if (entry) setExecuteFn(entry.execute as never);
    },
    onSubscribe({ args, setSubscribeFn }) {
      const entry = entryFor(args);
      if (entry) setSubscribeFn(entry.subscribe as never);
    },
  };
}
