// `schema`: what each upstream server offers (latest snapshots and a status
// per upstream), `--changes` for how it changed, `--unused` for captured
// tools nobody calls.

import { listMethod } from '@mcpr-store/protocol/fields';
import type { ChangeRow, ToolUsageRow } from '@mcpr-store/query';
import { answerOf, daemonRoute } from './daemon-query.js';
import { booleanFlag, type FlagSpec, type ParsedFlags, stringFlag } from './flags.js';
import { formatLocalTime, formatTime, renderTable, timeZoneLabel } from './format.js';
import { printable, printableAll } from './printable.js';
import { cliContext, printJson, type QueryAnswer, queryFlags, write } from './query-command.js';
import { UsageError } from './usage-error.js';

export const SCHEMA_HELP = `Usage: mcpr-store schema [PROXY] [options]

Latest captured schema per upstream, each item with the start of its description, and a
status: unknown (nothing captured), partial, complete (initialize and a list). PROXY, as
in mcpr, names the proxy (it wins over --proxy). --json prints one snapshot a line.

  --method METHOD     only snapshots of this method
  --changes           the change log, newest first (--limit N, default 50)
  --unused            every captured tool with its calls, unused first (--since, default 7d);
                      with --changes too, --unused wins (as in mcpr)
  --proxy NAME, --json, --db PATH

Examples:
  mcpr-store schema
  mcpr-store schema --changes --limit 20
  mcpr-store schema --unused --since 30d
`;

/** The answers from the store, loaded only when the daemon does not answer. */
const here = () => import('./schema-answer.js');
type SchemaAnswers = Awaited<ReturnType<typeof here>>;

export const SCHEMA_FLAGS: FlagSpec = {
  method: { type: 'string' },
  limit: { type: 'string' },
  since: { type: 'string' },
};

/** mcpr's `schema NAME`: NAME is a proxy, and it wins over --proxy. */
export function schemaProxy(flags: ParsedFlags): string | undefined {
  if (flags.positionals.length > 1) throw new UsageError('schema: give at most one PROXY');
  return flags.positionals[0] ?? stringFlag(flags, 'proxy');
}

export async function runSchema(argv: string[]): Promise<number> {
  const flags = queryFlags(
    'schema',
    argv,
    { ...SCHEMA_FLAGS, changes: { type: 'boolean' }, unused: { type: 'boolean' } },
    SCHEMA_HELP,
  );
  if (!flags) return 0;
  const context = cliContext(flags);
  const { nowMs } = context;
  // The daemon answers as the web API does, where the mode is the route.
  const routeArgv = daemonRoute('schema', argv)?.argv ?? argv;
  const answerMode = <T>(route: string, pick: (answers: SchemaAnswers) => QueryAnswer<T>) =>
    answerOf<T>(route, routeArgv, flags, context, async () => pick(await here()));

  if (booleanFlag(flags, 'changes') && !booleanFlag(flags, 'unused')) {
    const answer = await answerMode<ChangeRow[]>('schema/changes', (a) => a.SCHEMA_CHANGES);
    if (printJson(flags, answer)) return 0;
    const rows = printableAll(answer);
    if (rows.length === 0) process.stderr.write('no schema changes recorded yet\n');
    else {
      write(
        renderTable(
          [
            { header: `DETECTED (${timeZoneLabel()})` },
            { header: 'PROXY' },
            { header: 'UPSTREAM' },
            { header: 'METHOD' },
            { header: 'CHANGE' },
            { header: 'ITEM' },
          ],
          rows.map((r) => [
            formatTime(r.detected_at, nowMs),
            r.proxy,
            r.upstream_url,
            r.method,
            r.change_type,
            r.item_name ?? '-',
          ]),
        ),
      );
    }
    return 0;
  }

  if (booleanFlag(flags, 'unused')) {
    const window = stringFlag(flags, 'since') ?? '7d';
    const answer = await answerMode<ToolUsageRow[]>('schema/unused', (a) => a.SCHEMA_UNUSED);
    if (printJson(flags, answer)) return 0;
    const rows = printableAll(answer);
    if (rows.length === 0) {
      write('(no tools/list schema captured yet)\n');
      return 0;
    }
    const unused = rows.filter((r) => r.calls === 0).length;
    write(
      renderTable(
        [
          { header: 'PROXY' },
          { header: 'UPSTREAM' },
          { header: 'TOOL' },
          { header: 'STATUS' },
          { header: 'CALLS', align: 'right' },
          { header: 'ERRORS', align: 'right' },
          { header: 'LAST CALLED' },
        ],
        rows.map((r) => [
          r.proxy,
          r.upstream_url,
          r.tool_name,
          r.calls === 0 ? `unused in ${window}` : 'called',
          String(r.calls),
          String(r.errors),
          formatTime(r.last_called_at, nowMs),
        ]),
      ),
    );
    write(`\n${unused} tools listed but never called\n`);
    return 0;
  }

  // Read here: the API's answer is the JSON lines, and people see more.
  const answer = await (await here()).schemaHere(flags);
  if (printJson(flags, answer.lines)) return 0;
  const { report } = answer;
  if (report.upstreams.length === 0) {
    process.stderr.write(
      'no schema captured yet; the proxy reports initialize and list results as clients make them\n',
    );
    return 0;
  }
  for (const stored of report.upstreams) {
    const upstream = printableAll(stored);
    write(
      `${upstream.upstream_url}  [${upstream.status}]${upstream.proxy ? `  proxy ${upstream.proxy}` : ''}\n`,
    );
    if (upstream.server_name) {
      write(`  server     ${upstream.server_name} ${upstream.server_version ?? ''}\n`);
      write(`  protocol   ${upstream.protocol_version ?? '-'}\n`);
      write(`  capability ${upstream.capabilities.join(', ') || '-'}\n`);
    }
    const snapshots = report.snapshots.filter(
      (s) => s.proxy === stored.proxy && s.upstream_url === stored.upstream_url,
    );
    // The payload is parsed as stored; what it shows is made printable there.
    for (const s of snapshots) {
      write(
        `  ${printable(s.method).padEnd(26)} ${printable(s.schema_hash.slice(0, 12))}  captured ${formatLocalTime(s.captured_at)}  ${summarise(s.method, s.payload)}\n`,
      );
      for (const item of listItems(s.method, s.payload)) {
        write(
          `    ${item.name}${item.description ? `  ${item.description.slice(0, DESCRIPTION_CHARS)}` : ''}\n`,
        );
      }
    }
  }
  return 0;
}

/** How much of an item's description `schema` shows, as mcpr does. */
const DESCRIPTION_CHARS = 60;

/** The items of a list payload (tools, resources, prompts...) with their descriptions. */
function listItems(
  method: string,
  payload: string,
): { name: string; description: string | null }[] {
  const key = listMethod(method)?.key;
  if (!key) return [];
  try {
    const items = (JSON.parse(payload) as Record<string, unknown>)[key];
    if (!Array.isArray(items)) return [];
    return items.flatMap((item) => {
      const i = (item ?? {}) as Record<string, unknown>;
      const name = typeof i.name === 'string' ? i.name : typeof i.uri === 'string' ? i.uri : null;
      if (name === null) return [];
      // A description's lines and indents read as one line here.
      const description =
        typeof i.description === 'string' ? i.description.replace(/\s+/g, ' ').trim() : null;
      return [{ name: printable(name), description: description && printable(description) }];
    });
  } catch {
    return [];
  }
}

/** `12 tools: a, b, c, ...` for list payloads. */
function summarise(method: string, payload: string): string {
  const key = listMethod(method)?.key;
  if (!key) return '';
  try {
    const items = (JSON.parse(payload) as Record<string, unknown>)[key];
    if (!Array.isArray(items)) return '';
    const names = items
      .map((i) => (i as { name?: unknown }).name)
      .filter((n) => typeof n === 'string');
    const shown = names.slice(0, 8).join(', ');
    return printable(`${items.length} ${key}: ${shown}${names.length > 8 ? ', ...' : ''}`);
  } catch {
    return '';
  }
}
