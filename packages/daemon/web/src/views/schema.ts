// Schema: per upstream server, what was captured (and so how complete the
// picture is), the items it lists, and the timeline of its changes.

import { listMethod } from '@mcpr-store/protocol/list-methods';
import { api } from '../api.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';
import type { PageState } from '../state.js';
import { sortableTable } from '../table.js';
import type { ChangeRow, Snapshot } from '../types.js';
import { into, message, section } from './parts.js';

interface Item {
  method: string;
  name: string;
  description: string | null;
}

function itemsOf(snapshot: Snapshot): Item[] {
  const key = listMethod(snapshot.method)?.key;
  if (!key) return [];
  try {
    const listed = (JSON.parse(snapshot.payload) as Record<string, unknown>)[key];
    if (!Array.isArray(listed)) return [];
    return listed.map((entry) => {
      const item = entry as {
        name?: unknown;
        uriTemplate?: unknown;
        uri?: unknown;
        description?: unknown;
      };
      return {
        method: snapshot.method,
        name: String(item.name ?? item.uriTemplate ?? item.uri ?? '?'),
        description: typeof item.description === 'string' ? item.description : null,
      };
    });
  } catch {
    return [];
  }
}

export function schema(root: HTMLElement, state: PageState): void {
  const servers = h('div');
  const changes = h('div');
  root.replaceChildren(servers, section('Changes', changes));
  const filter = { proxy: state.proxy };
  void into(servers, api<Snapshot[]>('schema', filter), (snapshots) => {
    if (snapshots.length === 0) {
      return message(
        'No schema captured yet: the proxy reports initialize and list results as clients ask for them.',
      );
    }
    const byUpstream = new Map<string, Snapshot[]>();
    for (const s of snapshots) {
      const key = `${s.proxy}\u0000${s.upstream_url}`;
      byUpstream.set(key, [...(byUpstream.get(key) ?? []), s]);
    }
    return [...byUpstream.values()].map((group) => {
      const first = group[0] as Snapshot;
      const methods = group.map((s) => s.method);
      const hasInit = methods.includes('initialize');
      const hasList = methods.some((m) => listMethod(m) !== undefined);
      const capture = hasInit && hasList ? 'complete' : 'partial';
      const items = group.flatMap(itemsOf);
      return section(
        `${first.upstream_url} (${first.proxy})`,
        h(
          'p',
          { className: 'facts-line', 'data-capture': capture },
          h('span', { className: `badge ${capture}` }, capture),
          ` captured: ${methods.join(', ')}; last ${formatTime(Math.max(...group.map((s) => s.captured_at)))}`,
        ),
        items.length === 0
          ? message('No items listed.')
          : sortableTable(items, [
              { header: 'Kind', key: 'method', value: (r) => r.method },
              { header: 'Name', key: 'name', value: (r) => r.name },
              { header: 'Description', key: 'description', value: (r) => r.description },
            ]),
      );
    });
  });
  void into(changes, api<ChangeRow[]>('schema/changes', { ...filter, limit: '200' }), (rows) =>
    rows.length === 0
      ? message('No schema changes recorded yet.')
      : sortableTable(
          rows,
          [
            {
              header: 'Detected',
              key: 'detected_at',
              value: (r) => r.detected_at,
              show: (r) => formatTime(r.detected_at),
            },
            { header: 'Proxy', key: 'proxy', value: (r) => r.proxy },
            { header: 'Upstream', key: 'upstream_url', value: (r) => r.upstream_url },
            { header: 'Method', key: 'method', value: (r) => r.method },
            { header: 'Change', key: 'change_type', value: (r) => r.change_type },
            { header: 'Item', key: 'item_name', value: (r) => r.item_name },
          ],
          { sortKey: 'detected_at' },
        ),
  );
}
