#!/usr/bin/env node
// Fails when a tracked file outside .ci/ reaches outside the repository: a
// test or build step that reads something beside the checkout passes on a
// machine that has it and fails on a clean clone. It looks for relative
// paths in every tracked text file and resolves each from that file's own
// folder; one that lands above the repository's root is an error, and so is
// any mention of the folder the project's specification lives in.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RELATIVE = /(?:\.\.\/)+[\w.@-]*/g;
const FORBIDDEN = /\.\.\/shared\b|\bshared\/seed\b/;

const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file && !file.startsWith('.ci/') && file !== 'package-lock.json');

const problems = [];
for (const file of files) {
  const full = path.join(ROOT, file);
  let text;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch {
    continue;
  }
  if (text.includes('\0')) continue;
  text.split('\n').forEach((line, i) => {
    if (FORBIDDEN.test(line))
      problems.push(`${file}:${i + 1}: refers to a folder outside the repository: ${line.trim()}`);
    for (const match of line.matchAll(RELATIVE)) {
      const target = path.resolve(path.dirname(full), match[0]);
      if (path.relative(ROOT, target).startsWith('..')) {
        problems.push(`${file}:${i + 1}: ${match[0]} leads outside the repository`);
      }
    }
  });
}

if (problems.length > 0) {
  process.stderr.write(
    `${problems.join('\n')}\n${problems.length} reference(s) outside the repository\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `self-contained: ${files.length} tracked files refer to nothing outside the repository\n`,
);
