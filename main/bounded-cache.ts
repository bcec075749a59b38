/**
 * The small caches Custos keeps (issuer certificates, CA verification keys,
 * encoded profile extensions and algorithm identifiers, reviewed previews)
 * hold a fixed number of entries, oldest out first, so a long-running app
 * does not grow with them.
 */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): V {
  map.set(key, value);
  if (map.size > maxEntries) map.delete(map.keys().next().value!);
  return value;
}
