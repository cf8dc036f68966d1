// The page's client of the server's API: GET /api/COMMAND?FLAG=VALUE, the
// same JSON the CLI prints with --json. Errors carry the server's message.

export type Params = Record<string, string | boolean | undefined>;

export class ApiFailure extends Error {}

export async function api<T>(command: string, params: Params = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === false || value === '') continue;
    query.set(key, value === true ? 'true' : value);
  }
  const text = query.toString();
  const response = await fetch(`/api/${command}${text ? `?${text}` : ''}`, {
    headers: { accept: 'application/json' },
  });
  const body = (await response.json().catch(() => ({ error: response.statusText }))) as unknown;
  if (!response.ok) {
    const message = (body as { error?: string }).error ?? `HTTP ${response.status}`;
    throw new ApiFailure(message);
  }
  return body as T;
}
