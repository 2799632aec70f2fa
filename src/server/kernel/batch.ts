/** For DataLoader batches: rows grouped by key, answered in the order (and multiplicity) the keys were asked. */
export function rowsPerKey<R>(keys: readonly string[], rows: Iterable<R>, keyOf: (row: R) => string): R[][] {
  const byKey = new Map<string, R[]>();
  for (const row of rows) {
    const k = keyOf(row);
    const list = byKey.get(k);
    if (list) list.push(row);
    else byKey.set(k, [row]);
  }
  return keys.map((k) => byKey.get(k) ?? []);
}
