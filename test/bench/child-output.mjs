// Runs a command to its end and gives what it printed: the bench scripts
// that drive client processes and the CLI read their JSON this way.

import { spawn } from 'node:child_process';

/** Resolves with the command's stdout when it exits 0; rejects otherwise. Its stderr passes through. */
export function outputOf(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${code}`)),
    );
  });
}
