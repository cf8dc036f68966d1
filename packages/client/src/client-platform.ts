// Normalised client platform from `clientInfo.name`. Real clients name
// themselves inconsistently ("claude-ai", "Claude Desktop", "claude-code"),
// so the table matches on lower-cased substrings, most specific first.

const PLATFORMS: readonly [needle: string, platform: string][] = [
  ['claude', 'claude'],
  ['anthropic', 'claude'],
  ['chatgpt', 'chatgpt'],
  ['openai', 'chatgpt'],
  ['codex', 'chatgpt'],
  ['visual studio code', 'vscode'],
  ['vscode', 'vscode'],
  ['vs code', 'vscode'],
  ['copilot', 'vscode'],
  ['cursor', 'cursor'],
  ['windsurf', 'windsurf'],
  ['codeium', 'windsurf'],
  ['zed', 'zed'],
  ['cline', 'cline'],
  ['roo', 'roo-code'],
  ['continue', 'continue'],
  ['goose', 'goose'],
  ['gemini', 'gemini'],
  ['jetbrains', 'jetbrains'],
  ['intellij', 'jetbrains'],
  ['inspector', 'mcp-inspector'],
  ['librechat', 'librechat'],
  ['n8n', 'n8n'],
  ['raycast', 'raycast'],
  ['warp', 'warp'],
  ['amazon q', 'amazon-q'],
  ['q-cli', 'amazon-q'],
];

/** `claude`, `chatgpt`, `vscode`, `cursor`, `windsurf`, `zed`, ...; `unknown` when nothing matches. */
export function normalizeClientPlatform(clientName: string | null | undefined): string {
  if (!clientName) return 'unknown';
  const name = clientName.toLowerCase();
  for (const [needle, platform] of PLATFORMS) if (name.includes(needle)) return platform;
  return 'unknown';
}
