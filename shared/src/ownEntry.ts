/**
 * `table[key]` for a key read from a file, or undefined: only the table's own entries count.
 * A plain lookup finds what every object inherits, so a pickle naming module `constructor` or a
 * tensor of dtype `toString` got a function where a string or a size was expected.
 */
export function ownEntry<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
