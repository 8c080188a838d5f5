/** How deep a JSON request body may nest: the deepest schema (a configuration draft) needs 6. */
export const MAX_JSON_DEPTH = 32;

/** A key MongoDB (and FerretDB) would read as an operator or a path: `$`-prefixed, dotted, or holding NUL. */
export const UNSAFE_KEY = /^\$|\.|\0/;

export interface ShapeIssue {
  path: string;
  message: string;
}

/**
 * The first problem with a parsed JSON value's shape, or undefined: nesting deeper than `maxDepth`, or a key a store
 * would misread. Iterative and stops at the first problem, so a body nested 100,000 deep costs one short walk.
 */
export function jsonShapeIssue(value: unknown, maxDepth = MAX_JSON_DEPTH): ShapeIssue | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value: node, depth, path } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
    for (const [key, child] of entries) {
      const at = path ? `${path}.${key}` : key;
      if (!Array.isArray(node) && UNSAFE_KEY.test(key)) return { path: at, message: 'keys may not start with $ or contain . or NUL' };
      stack.push({ value: child, depth: depth + 1, path: at });
    }
  }
  return undefined;
}
