// What changed between two snapshots of a server's answer to a discovery
// method. List methods are compared item by item (by `name`), with each item
// in a canonical JSON form so that key order alone is never a change.

import { canonicalJson, listMethod } from '@mcpr-store/protocol';

export interface SchemaChange {
  change_type: string;
  item_name: string | null;
}

/** Items of a list payload by name, in canonical JSON; null when the payload has no such list. */
function itemsByName(payload: string, key: string): Map<string, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  const list = (parsed as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list)) return null;
  const items = new Map<string, string>();
  for (const item of list) {
    const name = (item as Record<string, unknown> | null)?.name;
    if (typeof name === 'string') items.set(name, canonicalJson(item));
  }
  return items;
}

/**
 * The change rows for a snapshot whose hash differs from the stored one.
 * `previous` null means the first snapshot: one `initial` row.
 */
export function diffSnapshots(
  method: string,
  previous: string | null,
  next: string,
): SchemaChange[] {
  if (previous === null) return [{ change_type: 'initial', item_name: null }];
  const list = listMethod(method);
  if (list) {
    const before = itemsByName(previous, list.key);
    const after = itemsByName(next, list.key);
    if (before && after) {
      const changes: SchemaChange[] = [];
      for (const [name, json] of after) {
        const old = before.get(name);
        if (old === undefined)
          changes.push({ change_type: `${list.prefix}_added`, item_name: name });
        else if (old !== json)
          changes.push({ change_type: `${list.prefix}_modified`, item_name: name });
      }
      for (const name of before.keys()) {
        if (!after.has(name))
          changes.push({ change_type: `${list.prefix}_removed`, item_name: name });
      }
      if (changes.length > 0) return changes;
    }
  }
  return [{ change_type: 'updated', item_name: null }];
}
