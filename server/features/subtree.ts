// The nodes under a few key paths, found through the index's path tree rather than a walk over
// every node: a 1 MB document of unrelated keys or nested arrays costs nothing here, and the
// index does not build (and keep) a node object for each of its 100,000s of rows.
import type { PathSegment, TomlIndex, TomlNode } from '../../core/toml/positions';

/** Every node whose path lies under (or is) one of `roots`, each once, in document order. */
export function nodesUnder(index: TomlIndex, roots: readonly (readonly PathSegment[])[]): TomlNode[] {
  const seen = new Set<TomlNode>();
  const stack = roots.map((r) => [...r]);
  while (stack.length) {
    const path = stack.pop()!;
    for (const n of index.getAll(path)) seen.add(n);
    for (const child of index.childrenOf(path)) stack.push(child.path.slice(0, path.length + 1));
  }
  return [...seen].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
