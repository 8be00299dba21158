/** JSON values edited at a path, for tests that mutate valid bodies (fuzzing, fast-path checks). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonPath = (string | number)[];

/** A copy of `root` with the value at `path` replaced, or removed when `replacement` is undefined (an array element is spliced out). */
export function withValueAt(root: Json, path: JsonPath, replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (replacement === undefined) {
    if (Array.isArray(target)) target.splice(Number(last), 1);
    else delete target[last];
  } else target[last] = replacement;
  return copy as Json;
}
