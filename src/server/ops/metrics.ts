/** Prometheus metrics, one registry per app instance (served at /metrics). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations executed, by transport and operation type',
      labelNames: ['transport', 'type'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors returned, by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    openSockets: new Gauge({ name: 'ws_open_sockets', help: 'Open graphql-ws sockets', registers: [registry] }),
    subscriptions: new Gauge({ name: 'graphql_active_subscriptions', help: 'Active GraphQL subscriptions', registers: [registry] }),
    /** Exposes group commits' counts (db/group-commit.ts stats): items ÷ batches is how many calls share a statement. */
    groupCommits(stats: Record<string, { batches: number; items: number }>) {
      const gauge = (name: string, help: string, field: 'batches' | 'items') =>
        new Gauge({
          name,
          help,
          labelNames: ['kind'] as const,
          registers: [registry],
          collect() {
            for (const [kind, st] of Object.entries(stats)) this.set({ kind }, st[field]);
          },
        });
      gauge('relay_group_commit_batches', 'Statements run by group commit since start, by kind (send, ack)', 'batches');
      gauge('relay_group_commit_items', 'Calls those statements carried, by kind (items / batches = calls per statement)', 'items');
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
