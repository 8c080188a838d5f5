import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Every `patched('<id>')` / `deprecatePatch('<id>')` id in the workflow code (constants resolved within the file). */
function patchIdsInCode(): Set<string> {
  const ids = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        const constants = new Map([...source.matchAll(/const (\w+) = '([\w-]+)'/g)].map((m) => [m[1]!, m[2]!]));
        for (const m of source.matchAll(/(?:patched|deprecatePatch)\((?:'([\w-]+)'|(\w+))\)/g)) {
          const id = m[1] ?? constants.get(m[2]!);
          if (id) ids.add(id);
        }
      }
    }
  };
  walk(join(root, 'workflows'));
  return ids;
}

function patchIdsInTable(): Set<string> {
  const doc = readFileSync(join(root, 'docs', 'compatibility.md'), 'utf8');
  return new Set([...doc.matchAll(/^\| `([\w-]+)` \|/gm)].map((m) => m[1]!));
}

test('every patched() branch in the workflows is listed in docs/compatibility.md with its retirement condition, and nothing else is', () => {
  const inCode = patchIdsInCode();
  expect(inCode.size).toBeGreaterThan(0);
  expect([...patchIdsInTable()].sort()).toEqual([...inCode].sort());
});
