/**
 * Reads the environment once, at start-up, and fails with the names of what is missing instead
 * of letting `undefined` travel into a request.
 */
export function readEnv<const K extends string>(names: readonly K[]): Record<K, string> {
  const values = {} as Record<K, string>;
  const missing: string[] = [];
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value === undefined || value === '') missing.push(name);
    else values[name] = value;
  }
  if (missing.length > 0) {
    throw new Error(`missing environment variables: ${missing.join(', ')}`);
  }
  return values;
}
