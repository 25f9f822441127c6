/** A parsed path below the wildcard: each segment leads to a further node or to the value. */
type PathNode = Map<string, PathNode | typeof LEAF>;

const LEAF = Symbol('leaf');
const SEGMENT = /\[\s*(["'])(.*?)\1\s*\]|([^.[\]]+)/g;

function segmentsOf(path: string): string[] {
  return [...path.matchAll(SEGMENT)].map((match) => match[2] ?? match[3] ?? '');
}

function compile(paths: readonly string[]): PathNode {
  const root: PathNode = new Map();
  for (const path of paths) {
    const segments = segmentsOf(path.slice(2));
    let node = root;
    segments.forEach((segment, index) => {
      if (index === segments.length - 1) {
        node.set(segment, LEAF);
        return;
      }
      let next = node.get(segment);
      if (next === undefined || next === LEAF) {
        next = new Map();
        node.set(segment, next);
      }
      node = next;
    });
  }
  return root;
}

/** A shallow copy that keeps what the object is: an array, a plain object, or an Error. */
function copyOf(value: object): Record<string, unknown> {
  if (Array.isArray(value)) return value.slice() as unknown as Record<string, unknown>;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return { ...value };
  return Object.create(prototype, Object.getOwnPropertyDescriptors(value));
}

function apply(value: object, node: PathNode, censor: string): object {
  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const [segment, next] of node) {
    const current = source[segment];
    if (current === undefined || !Object.hasOwn(source, segment)) continue;
    let replacement: unknown;
    if (next === LEAF) {
      replacement = censor;
    } else {
      if (current === null || typeof current !== 'object') continue;
      replacement = apply(current, next, censor);
      if (replacement === current) continue;
    }
    copy ??= copyOf(value);
    copy[segment] = replacement;
  }
  return copy ?? value;
}

/**
 * Compiles paths that start with a wildcard (`*.password`, `*.command.args`) into a function
 * that censors them under every top-level field of a log object. pino's own redaction handles a
 * leading wildcard by running its slow path over every line and every child logger's bindings
 * (several times the cost per job in the worker, `pnpm bench`); this walks only the listed paths
 * and copies only what it censors, so an object without secrets comes back as is and nothing the
 * caller logged is changed.
 */
export function wildcardRedactor(
  paths: readonly string[],
  censor: string,
): <T extends object>(object: T) => T {
  const root = compile(paths);
  return <T extends object>(object: T): T => {
    let copy: Record<string, unknown> | undefined;
    const source = object as Record<string, unknown>;
    // for-in, not Object.keys: no array per log line (own keys only, as Object.keys gives).
    for (const key in source) {
      if (!Object.hasOwn(source, key)) continue;
      const value = source[key];
      if (value === null || typeof value !== 'object') continue;
      const redacted = apply(value, root, censor);
      if (redacted === value) continue;
      copy ??= { ...source };
      copy[key] = redacted;
    }
    return (copy ?? object) as T;
  };
}
