import type { LabelledText } from './json-texts.js';
import type { Prng } from './prng.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Values a pattern-checked id (`documentId`, a job name) must refuse. */
const WRONG_VALUES: Json[] = [
  null,
  true,
  -1,
  1.5,
  [],
  {},
  '',
  ' ',
  '../../etc/passwd',
  'a b',
  'é',
  '\u0000',
  '<script>alert(1)</script>',
  "'; DROP TABLE jobs; --",
  'x'.repeat(5000),
];

/**
 * Values no required field accepts: every field the suite mutates is a string, a number or an
 * object with required fields of its own (numbers are left out: a huge one is still an integer).
 */
const WRONG_TYPES: Json[] = [null, true, [], {}, [[[[]]]]];

/**
 * Breaks a valid request body in ways that guarantee it must be refused: a required field
 * removed or given a value of the wrong type, a `__proto__` key planted at any depth, nesting
 * beyond the limit, or the JSON text cut short. `required` lists the paths the schema requires,
 * with `ids` the string fields whose pattern or length a bad string breaks.
 */
export function invalidMutations(
  valid: Json,
  fields: { required: Path[]; ids: Path[] },
  count: number,
  rng: Prng,
  label: string,
): LabelledText[] {
  const text = JSON.stringify(valid);
  const operations: (() => LabelledText)[] = [
    () => {
      const path = rng.pick(fields.required);
      return {
        label: `${label}: ${path.join('.')} removed`,
        text: JSON.stringify(edit(valid, path, undefined)),
      };
    },
    () => {
      const path = rng.pick(fields.required);
      const value = rng.pick(WRONG_TYPES);
      return {
        label: `${label}: ${path.join('.')} wrong type`,
        text: JSON.stringify(edit(valid, path, value)),
      };
    },
    () => {
      if (fields.ids.length === 0) return { label: `${label}: emptied`, text: '{}' };
      const path = rng.pick(fields.ids);
      const value = rng.pick(WRONG_VALUES);
      return {
        label: `${label}: ${path.join('.')} bad value`,
        text: JSON.stringify(edit(valid, path, value)),
      };
    },
    () => {
      const cut = 1 + rng.int(text.length - 1);
      return { label: `${label}: cut at ${cut}`, text: text.slice(0, cut) };
    },
    () => {
      // JSON.stringify cannot write a `__proto__` own key: splice it into the text instead.
      const at = objectOpenings(text);
      const position = rng.pick(at) + 1;
      const planted = rng.pick([
        '"__proto__":{"polluted":"yes"},',
        '"__proto__":{"isAdmin":true,"attempts":99},',
        '"__proto__":[],',
        '"__proto__":null,',
      ]);
      return {
        label: `${label}: __proto__ planted`,
        text: text.slice(0, position) + planted + text.slice(position),
      };
    },
    () => {
      const path = rng.pick(fields.required);
      const depth = 65 + rng.int(200);
      let deep: Json = 'bottom';
      for (let level = 0; level < depth; level++) deep = rng.next() < 0.5 ? [deep] : { d: deep };
      return {
        label: `${label}: ${path.join('.')} nested ${depth} deep`,
        text: JSON.stringify(edit(valid, path, deep)),
      };
    },
  ];
  return Array.from({ length: count }, () => rng.pick(operations)());
}

/** Positions of every `{` that opens an object (outside strings). */
function objectOpenings(text: string): number[] {
  const positions: number[] = [];
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') positions.push(index);
  }
  return positions;
}

/** A deep copy of `value` with `path` set to `replacement` (removed when undefined). */
function edit(value: Json, path: Path, replacement: Json | undefined): Json {
  const copy = structuredClone(value);
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1) as string | number;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
}
