// What the page shows lives in its URL (?view=tools&proxy=edge&since=24h),
// so a view can be shared and the back button works.

export const VIEWS = ['overview', 'tools', 'errors', 'sessions', 'logs', 'schema'] as const;
export type View = (typeof VIEWS)[number];

export const WINDOWS = ['15m', '1h', '24h', '7d', '30d'] as const;

export interface PageState {
  view: View;
  /** A window the CLI understands (`24h`, `90m`, ...). */
  since: string;
  proxy?: string;
  tool?: string;
  session?: string;
}

export function readState(): PageState {
  const params = new URLSearchParams(location.search);
  const view = params.get('view') as View | null;
  return {
    view: view && (VIEWS as readonly string[]).includes(view) ? view : 'overview',
    since: params.get('since') || '24h',
    proxy: params.get('proxy') || undefined,
    tool: params.get('tool') || undefined,
    session: params.get('session') || undefined,
  };
}

export function stateUrl(state: PageState): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) if (value) params.set(key, value);
  return `?${params.toString()}`;
}
