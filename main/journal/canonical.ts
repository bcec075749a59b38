/**
 * Canonical JSON for hashing: keys sorted, no whitespace, only JSON values.
 * The hash of an entry must not depend on the order a writer happened to
 * build its object in, or verify would call a faithful copy tampered.
 */

// A key JavaScript treats as an array index: objects list these first, in numeric order, whatever the insertion order.
const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

function checkedScalar(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('journal values must be finite numbers');
  if (value !== null && typeof value !== 'boolean' && typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`journal values must be JSON, got ${typeof value}`);
  }
  return value;
}

/**
 * A copy of value with every object's members in sorted key order (undefined
 * members left out), checked to hold only JSON values; undefined when some
 * object has an index-like key, which no insertion order can put in place.
 */
function sortedCopy(value: unknown): { value: unknown } | undefined {
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      const copy = sortedCopy(item);
      if (!copy) return undefined;
      items.push(copy.value);
    }
    return { value: items };
  }
  if (typeof value === 'object' && value !== null) {
    const source = value as Record<string, unknown>;
    // No prototype: a member named __proto__ (JSON allows it) stays a member instead of setting one.
    const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    // Sorted by UTF-16 code units, as JavaScript compares strings.
    for (const key of Object.keys(source).sort()) {
      if (source[key] === undefined) continue;
      if (INDEX_KEY.test(key)) return undefined;
      const member = sortedCopy(source[key]);
      if (!member) return undefined;
      copy[key] = member.value;
    }
    return { value: copy };
  }
  return { value: checkedScalar(value) };
}

/** Member by member: right for any keys, and slower. */
function writtenOut(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(writtenOut).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${writtenOut(v)}`).join(',')}}`;
  }
  return JSON.stringify(checkedScalar(value));
}

/**
 * JSON.stringify writes members in insertion order and escapes strings as
 * canonical JSON needs, so a copy with sorted members encodes canonically in
 * one native call; only an object with an index-like key is written out
 * member by member.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value);
  return sorted ? JSON.stringify(sorted.value) : writtenOut(value);
}
