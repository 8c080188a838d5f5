/** How deep a JSON request body may nest: the deepest schema (a configuration draft) needs 6. */
export const MAX_JSON_DEPTH = 32;

/** A key MongoDB (and FerretDB) would read as an operator or a path: `$`-prefixed, dotted, or holding NUL. */
export const UNSAFE_KEY = /^\$|\.|\0/;

// In a `u` regex a surrogate class matches only a surrogate without its pair: JSON's `"\ud800"` parses to one,
// which is not Unicode text. Passed on, the broker (and Meta) would refuse it or turn it into U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export interface ShapeIssue {
  path: string;
  message: string;
}

/**
 * The first problem with a parsed JSON value's shape, or undefined: nesting deeper than `maxDepth`, a key a store
 * would misread, or a string (key or value) holding a lone UTF-16 surrogate. Iterative and stops at the first problem, so a body nested 100,000 deep costs one short walk.
 */
export function jsonShapeIssue(value: unknown, maxDepth = MAX_JSON_DEPTH): ShapeIssue | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value: node, depth, path } = stack.pop()!;
    if (typeof node === 'string' && LONE_SURROGATE.test(node)) return { path, message: 'a string holds a lone UTF-16 surrogate, which is not text' };
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
    for (const [key, child] of entries) {
      const at = path ? `${path}.${key}` : key;
      if (!Array.isArray(node) && UNSAFE_KEY.test(key)) return { path: at, message: 'keys may not start with $ or contain . or NUL' };
      if (LONE_SURROGATE.test(key)) return { path: at, message: 'a key holds a lone UTF-16 surrogate, which is not text' };
      stack.push({ value: child, depth: depth + 1, path: at });
    }
  }
  return undefined;
}
