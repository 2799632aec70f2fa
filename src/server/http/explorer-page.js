/*
 * The explorer page's own script (served by ./explorer.ts; runs in the browser, before the GraphiQL build).
 * It points Monaco at the editor workers this server serves, and renders GraphiQL with a fetcher that sends
 * the headers pane's headers with every HTTP request and runs subscriptions over graphql-ws on the same
 * path, passing the pane's Authorization as connectionParams: the server authenticates a socket once, at
 * connection_init, so a header on each operation would not do.
 */
(() => {
  const config = JSON.parse(document.getElementById('explorer-config').textContent);
  const endpoint = new URL(config.endpoint, location.href);
  const wsUrl = `${endpoint.protocol === 'https:' ? 'wss:' : 'ws:'}//${endpoint.host}${endpoint.pathname}`;

  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) => config.workers[label] ?? config.workers.editorWorkerService,
  };

  const authorizationOf = (headers) => {
    for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === 'authorization') return String(v);
    return undefined;
  };

  /** One socket for the current Authorization; a new token gets a new socket. */
  let socket = null;
  const socketFor = (authorization) => {
    if (socket && socket.authorization === authorization) return socket.client;
    socket?.client.dispose();
    const client = globalThis.graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      retryAttempts: 0,
      connectionParams: authorization ? { authorization } : {},
    });
    socket = { authorization, client };
    return client;
  };

  const isSubscription = (params, opts) => {
    const doc = opts?.documentAST;
    if (doc) {
      const ops = doc.definitions.filter((d) => d.kind === 'OperationDefinition');
      const op = params.operationName ? ops.find((o) => o.name?.value === params.operationName) : ops[0];
      return op?.operation === 'subscription';
    }
    return /^\s*subscription\b/m.test(params.query.replace(/#.*$/gm, ''));
  };

  const describeClose = (e) => {
    if (Array.isArray(e)) return e;
    if (typeof e?.code === 'number') {
      const hint = e.code === 4403 ? ': the socket needs a valid token, set "Authorization": "Bearer <accessToken>" in the Headers pane' : '';
      return [{ message: `socket closed ${e.code} ${e.reason ?? ''}`.trim() + hint }];
    }
    return [{ message: String(e?.message ?? e) }];
  };

  async function* subscribe(params, headers) {
    try {
      yield* socketFor(authorizationOf(headers)).iterate(params);
    } catch (e) {
      yield { errors: describeClose(e) };
    }
  }

  const fetcher = (params, opts) => {
    const headers = opts?.headers ?? {};
    if (isSubscription(params, opts)) return subscribe(params, headers);
    return fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
      body: JSON.stringify(params),
    }).then((r) => r.json());
  };

  document.addEventListener('DOMContentLoaded', () => {
    globalThis.YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), { ...config.graphiql, fetcher });
  });
})();
