// Starts the real daemon as a child process, the way an operator would, on
// a fresh temporary directory; tests talk to it over its real socket.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(REPO_ROOT, 'packages/daemon/bin/mcpr-store.js');

export function tempDir(prefix = 'mcpr-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface DaemonProcess {
  proc: ChildProcess;
  dbPath: string;
  socketPath: string;
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface DaemonStartOptions {
  dir?: string;
  dbPath?: string;
  socketPath?: string;
  args?: string[];
  /** Wait until the socket accepts connections (default true). */
  waitReady?: boolean;
  /** The `mcpr-store` launcher to run (default: this checkout's). */
  cli?: string;
  /** Variables added to the daemon's environment. */
  env?: NodeJS.ProcessEnv;
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startDaemon(options: DaemonStartOptions = {}): Promise<DaemonProcess> {
  const dir = options.dir ?? tempDir();
  const dbPath = options.dbPath ?? path.join(dir, 'store.db');
  const socketPath = options.socketPath ?? path.join(dir, 'store.sock');
  const proc = spawn(
    process.execPath,
    [options.cli ?? CLI, 'daemon', '--db', dbPath, '--socket', socketPath, ...(options.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const daemon: DaemonProcess = {
    proc,
    dbPath,
    socketPath,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  if (options.waitReady !== false) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) {
        throw new Error(`daemon exited with ${proc.exitCode} before it was ready:\n${stderr}`);
      }
      if (stderr.includes('"msg":"started"') && (await canConnect(socketPath))) break;
      if (Date.now() > deadline) throw new Error(`daemon not ready after 20 s:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return daemon;
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
