// The MCP discovery methods that return a list: where their items live in
// the result, and the prefix of the change rows mcpr writes for them. One
// table for the client (merging pages), the writer (diffing snapshots) and
// the CLI (schema status and summaries) and the web page (its schema screen).

export interface ListMethod {
  /** Key of the item array in the method's `result`. */
  key: string;
  /** `tool` -> `tool_added`, `tool_removed`, `tool_modified`. */
  prefix: string;
}

export const LIST_METHODS: Readonly<Record<string, ListMethod>> = {
  'tools/list': { key: 'tools', prefix: 'tool' },
  'resources/list': { key: 'resources', prefix: 'resource' },
  'resources/templates/list': { key: 'resourceTemplates', prefix: 'resource_template' },
  'prompts/list': { key: 'prompts', prefix: 'prompt' },
};

/** The list method's entry, or undefined for any other method (no inherited keys). */
export function listMethod(method: string): ListMethod | undefined {
  return Object.hasOwn(LIST_METHODS, method) ? LIST_METHODS[method] : undefined;
}
