// The dashboard's shell: a header with the screens, the proxy and the
// window, all kept in the URL; each screen draws itself from the API.

import { api } from './api.js';
import { h } from './dom.js';
import { type PageState, readState, stateUrl, VIEWS, type View, WINDOWS } from './state.js';
import type { StoreStats } from './types.js';
import { errors } from './views/errors.js';
import { logs } from './views/logs.js';
import { overview } from './views/overview.js';
import { schema } from './views/schema.js';
import { sessions } from './views/sessions.js';
import { tools } from './views/tools.js';

const TITLES: Record<View, string> = {
  overview: 'Overview',
  tools: 'Tools',
  errors: 'Errors',
  sessions: 'Sessions & clients',
  logs: 'Logs',
  schema: 'Schema',
};

let state = readState();
let stopView: (() => void) | undefined;

const nav = h('nav', { className: 'views' });
const proxySelect = h(
  'select',
  { name: 'proxy', title: 'proxy' },
  h('option', { value: '' }, 'all proxies'),
);
const windowSelect = h('select', { name: 'since', title: 'window' });
const customWindow = h('input', {
  name: 'custom-since',
  placeholder: 'e.g. 90m, 3d',
  size: 8,
  title: 'a custom window',
});
const main = h('main');

function navigate(patch: Partial<PageState>, replace = false): void {
  state = { ...state, ...patch };
  if (replace) history.replaceState(null, '', stateUrl(state));
  else history.pushState(null, '', stateUrl(state));
  render();
}

function render(): void {
  stopView?.();
  stopView = undefined;
  for (const link of nav.querySelectorAll('a')) {
    link.classList.toggle('active', link.dataset.view === state.view);
  }
  proxySelect.value = state.proxy ?? '';
  const known = (WINDOWS as readonly string[]).includes(state.since);
  windowSelect.value = known ? state.since : 'custom';
  customWindow.hidden = known;
  if (!known) customWindow.value = state.since;
  document.title = `${TITLES[state.view]} — mcpr-store`;
  const view = h('div', { className: 'view', 'data-view': state.view });
  main.replaceChildren(view);
  if (state.view === 'overview') overview(view, state);
  else if (state.view === 'tools') tools(view, state, navigate);
  else if (state.view === 'errors') errors(view, state);
  else if (state.view === 'sessions') sessions(view, state, navigate);
  else if (state.view === 'logs') stopView = logs(view, state);
  else schema(view, state);
}

function start(): void {
  for (const view of VIEWS) {
    nav.append(
      h(
        'a',
        {
          href: stateUrl({ ...state, view }),
          'data-view': view,
          onclick: (event: Event) => {
            event.preventDefault();
            navigate({ view, tool: undefined, session: undefined });
          },
        },
        TITLES[view],
      ),
    );
  }
  for (const w of WINDOWS) windowSelect.append(h('option', { value: w }, `last ${w}`));
  windowSelect.append(h('option', { value: 'custom' }, 'custom…'));
  windowSelect.addEventListener('change', () => {
    if (windowSelect.value === 'custom') {
      customWindow.hidden = false;
      customWindow.focus();
    } else navigate({ since: windowSelect.value });
  });
  customWindow.addEventListener('change', () => {
    const value = customWindow.value.trim();
    if (value) navigate({ since: value });
  });
  proxySelect.addEventListener('change', () => navigate({ proxy: proxySelect.value || undefined }));
  window.addEventListener('popstate', () => {
    state = readState();
    render();
  });
  document.body.append(
    h(
      'header',
      null,
      h('span', { className: 'brand' }, 'mcpr-store'),
      nav,
      h('span', { className: 'pickers' }, proxySelect, windowSelect, customWindow),
    ),
    main,
  );
  api<StoreStats>('store/stats').then(
    (stats) => {
      for (const proxy of stats.proxies) proxySelect.append(h('option', { value: proxy }, proxy));
      if (state.proxy && !stats.proxies.includes(state.proxy)) {
        proxySelect.append(h('option', { value: state.proxy }, state.proxy));
      }
      proxySelect.value = state.proxy ?? '';
    },
    () => undefined,
  );
  render();
}

start();
