/**
 * Path expressions that pick a field out of a vendor's JSON payload: `odu.power`, `idu[0].setTemp`,
 * `$.data["outdoor temp"]`. A subset of JSONPath's dot/bracket notation (RFC 9535 §2.5.1 name and index
 * selectors only): one value per path, no wildcards or filters, so a mapping stays a plain table.
 */

/** One step: an object member name or an array index. */
export type PathStep = string | number;

/** Parse a path; throws an Error naming the position of the first problem. */
export function parsePath(text: string): PathStep[] {
  const steps: PathStep[] = [];
  let i = text.startsWith('$') ? 1 : 0;
  const fail = (why: string): never => { throw new Error(`path '${text}': ${why} at character ${i + 1}`); };
  if (i === 0 && text.length > 0 && text[0] !== '[') i = -1; // a leading name without '.'
  while (i < text.length) {
    if (i === -1 || text[i] === '.') {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
      if (!m) fail('expected a name');
      steps.push((m as RegExpExecArray)[0]);
      i += (m as RegExpExecArray)[0].length;
    } else if (text[i] === '[') {
      const rest = text.slice(i);
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[(["'])((?:(?!\1).)*)\1\]/.exec(rest);
      if (index) { steps.push(Number(index[1])); i += index[0].length; }
      else if (quoted) { steps.push(quoted[2]); i += quoted[0].length; }
      else fail("expected [index] or ['name']");
    } else {
      fail("expected '.' or '['");
    }
  }
  if (steps.length === 0) fail('empty path');
  return steps;
}

/** The value at a parsed path, or undefined when any step is missing. */
export function valueAt(doc: unknown, steps: PathStep[]): unknown {
  let node: unknown = doc;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return undefined;
      node = node[step];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, step)) return undefined;
      node = (node as Record<string, unknown>)[step];
    }
  }
  return node;
}
