// The files in deploy/ hold up against the real tools. promtool accepts the
// example configuration, passes every alert's unit tests and parses every
// expression of the Grafana dashboard; then a real Prometheus server, started
// on the shipped configuration and alert rules, scrapes a real daemon fed by
// real clients: PromQL sums what was stored, every rule evaluates cleanly,
// the error-rate alert arms for the failing tool alone, and every dashboard
// panel returns data.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StoreClient } from '@mcpr-store/client';
import {
  type DaemonProcess,
  freePort,
  REPO_ROOT,
  startDaemon,
  tempDir,
} from '@mcpr-store/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const ALERTS = path.join(DEPLOY, 'prometheus/alerts.yml');
const DASHBOARD = path.join(DEPLOY, 'grafana/mcpr-store.json');
/** Grafana's reference to the dashboard's datasource variable. */
const DATASOURCE_REF = { type: 'prometheus', uid: ['$', '{datasource}'].join('') };

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panelTargets = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, ...t })),
);

/** A dashboard expression as Prometheus would receive it from Grafana. */
function expand(expr: string, rateInterval: string): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll(/\$(instance|proxy|tool)\b/g, '.*');
}

function run(command: string, args: string[], input?: string) {
  const out = spawnSync(command, args, { encoding: 'utf8', input, cwd: REPO_ROOT });
  return { code: out.status, output: `${out.stdout}${out.stderr}` };
}

const processes: ChildProcess[] = [];
const daemons: DaemonProcess[] = [];
afterAll(async () => {
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(daemons.map((d) => d.stop()));
});

describe('deploy/prometheus', () => {
  it('the example configuration and the alert rules pass promtool', () => {
    const config = run('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml']);
    expect(config.output).toContain('SUCCESS: 11 rules found');
    expect(config.code).toBe(0);
  });

  it("every alert's unit tests pass, and every alert has one that fires", () => {
    const tests = run('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(tests.output).toContain('SUCCESS');
    expect(tests.code).toBe(0);
    const alerts = [...fs.readFileSync(ALERTS, 'utf8').matchAll(/- alert: (\w+)/g)].map(
      (m) => m[1],
    );
    expect(alerts).toHaveLength(11);
    const testText = fs.readFileSync(path.join(DEPLOY, 'prometheus/alerts.test.yml'), 'utf8');
    for (const alert of alerts) {
      expect(testText, alert).toMatch(new RegExp(`exp_labels:\\s*\\{\\s*alertname: ${alert},`));
      expect(testText, alert).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`));
    }
  });
});

describe('deploy/grafana dashboard', () => {
  it('is a well-formed dashboard: unique ids, panels on the grid, one datasource variable', () => {
    expect(dashboard.uid).toBe('mcpr-store');
    expect(typeof dashboard.title).toBe('string');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    expect(variables).toEqual(new Set(['datasource', 'instance', 'proxy', 'tool']));
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource, panel.title).toEqual(DATASOURCE_REF);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
    // Every variable an expression uses is defined (Grafana's own start with $__).
    for (const target of panelTargets) {
      for (const [, name] of target.expr.matchAll(/\$(\w+)/g)) {
        if (!name?.startsWith('__')) expect(variables, target.panel).toContain(name);
      }
    }
    // The four questions of the issue: rate by tool, error ratio by error_type,
    // p50/p95/p99 from the histogram, store health.
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of [
      'Calls per second by tool',
      'Error ratio by error type',
      'Latency p50 / p95 / p99',
      'Writer up',
      'Database size',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it('every panel expression parses (promtool, as recording rules)', () => {
    const dir = tempDir('mcpr-dashboard-');
    const rules = [
      'groups:',
      '  - name: dashboard',
      '    rules:',
      ...panelTargets.flatMap((t, i) => [
        `      - record: dashboard:panel_${i}`,
        `        expr: ${JSON.stringify(expand(t.expr, '1m'))}`,
      ]),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'rules.yml'), rules);
    const check = run('promtool', ['check', 'rules', path.join(dir, 'rules.yml')]);
    expect(check.output).toContain(`SUCCESS: ${panelTargets.length} rules found`);
    expect(check.code).toBe(0);
  });
});

describe('a real Prometheus on the shipped configuration', () => {
  it('scrapes a real daemon: exact sums, every rule healthy, every panel with data', {
    timeout: 120_000,
  }, async () => {
    const metricsPort = await freePort();
    const d = await startDaemon({
      args: [
        '--metrics-listen',
        `127.0.0.1:${metricsPort}`,
        '--retain-bytes',
        '50MB',
        '--max-db-bytes',
        '100MB',
        '--retention-interval-ms',
        '1000',
      ],
    });
    daemons.push(d);
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'edge' });
    client.record({
      kind: 'session',
      session_id: 's1',
      client_name: 'claude-ai',
      client_platform: 'claude',
    });
    for (let i = 0; i < 40; i += 1) {
      client.record({
        kind: 'request',
        method: 'tools/call',
        tool: i % 2 ? 'search' : 'fetch',
        latency_us: 1000 * i,
        status: i % 10 === 0 ? 'error' : 'ok',
      });
    }
    client.record({ kind: 'request', method: 'tools/call', status: 'weird' } as never);
    await client.flush(10_000);

    const dir = tempDir('mcpr-prometheus-');
    fs.copyFileSync(ALERTS, path.join(dir, 'alerts.yml'));
    const shipped = fs.readFileSync(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8');
    const config = shipped
      .replaceAll('15s', '1s')
      .replaceAll('127.0.0.1:9464', `127.0.0.1:${metricsPort}`);
    expect(config).not.toBe(shipped);
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
    const promPort = await freePort();
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    processes.push(prometheus);
    const api = async <T>(pathAndQuery: string): Promise<T | null> => {
      try {
        const response = await fetch(`http://127.0.0.1:${promPort}/api/v1/${pathAndQuery}`);
        return ((await response.json()) as { data: T }).data;
      } catch {
        return null; // not listening yet
      }
    };
    type Vector = { result: { metric: Record<string, string>; value: [number, string] }[] };
    const query = (promql: string) =>
      api<Vector>(`query?query=${encodeURIComponent(promql)}`).then((v) => v?.result ?? []);
    const scalar = async (promql: string) => {
      const first = (await query(promql))[0];
      return first ? Number(first.value[1]) : null;
    };
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };

    await until('the first scrape', async () => (await scalar('up{job="mcpr-store"}')) === 1);
    expect(await scalar('sum(mcpr_store_events_committed_total{kind="request"})')).toBe(40);
    expect(await scalar('sum(mcpr_store_events_rejected_total{reason="validation"})')).toBe(1);
    expect(await scalar('sum(mcp_server_operation_duration_seconds_count{error_type!=""})')).toBe(
      4,
    );
    expect(
      await scalar('sum(mcp_server_operation_duration_seconds_count{gen_ai_tool_name="search"})'),
    ).toBe(20);
    expect(await scalar('mcpr_store_writer_up')).toBe(1);

    // Steady traffic from here: `fetch` fails one call in five, `search` never.
    let sent = 0;
    const traffic = setInterval(() => {
      for (let i = 0; i < 10; i += 1) {
        sent += 1;
        client.record({
          kind: 'request',
          method: 'tools/call',
          tool: i % 2 ? 'search' : 'fetch',
          latency_us: 2_000 + 1000 * i,
          status: i % 10 === 0 ? 'error' : 'ok',
        });
      }
    }, 100);
    try {
      await until(
        'the error-rate alert to arm',
        async () =>
          (await query('ALERTS{alertname="McpToolErrorRateHigh",alertstate="pending"}')).length > 0,
      );
      const armed = await query('ALERTS');
      expect(armed.map((a) => [a.metric.alertname, a.metric.gen_ai_tool_name])).toEqual([
        ['McpToolErrorRateHigh', 'fetch'],
      ]);

      type Rules = { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      const rules = (await api<Rules>('rules'))?.groups.flatMap((g) => g.rules) ?? [];
      expect(rules).toHaveLength(11);
      for (const rule of rules)
        expect([rule.name, rule.health, rule.lastError ?? '']).toEqual([rule.name, 'ok', '']);

      // Every panel answers, with data, once retention has run and traffic flows.
      await until(
        'retention to report the oldest request',
        async () => (await scalar('mcpr_store_oldest_request_timestamp_seconds')) !== 0,
      );
      for (const target of panelTargets) {
        const result = await query(expand(target.expr, '15s'));
        expect(result.length, `${target.panel}: ${target.expr}`).toBeGreaterThan(0);
      }
    } finally {
      clearInterval(traffic);
    }
    await client.close(10_000);
    expect(client.stats().committed).toBe(41 + sent);
  });
});
