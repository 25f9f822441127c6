/** A JSON text (usually not valid JSON) and what it tries. */
export interface LabelledText {
  label: string;
  text: string | Buffer;
}

const nested = (depth: number, open: string, close: string, inner = '1') =>
  open.repeat(depth) + inner + close.repeat(depth);

/**
 * Bodies no JSON route may accept, whatever it expects: malformed syntax, encodings, nesting
 * deep enough to overflow a recursive walk, prototype-polluting keys, hostile numbers and
 * shapes. Each must be refused with a 4xx and nothing stored.
 */
export function hostileJsonTexts(): LabelledText[] {
  const texts: LabelledText[] = [
    { label: 'empty body', text: '' },
    { label: 'whitespace only', text: '   \n\t ' },
    { label: 'bare word', text: 'undefined' },
    { label: 'single quotes', text: "{'data': {'a': 1}}" },
    { label: 'trailing comma', text: '{"data": {"a": 1},}' },
    { label: 'unterminated string', text: '{"data": "abc' },
    { label: 'unclosed object', text: '{"data": {' },
    { label: 'NaN literal', text: '{"data": NaN}' },
    { label: 'Infinity literal', text: '{"data": Infinity}' },
    { label: 'comments', text: '{"data": 1 /* hi */}' },
    { label: 'two documents', text: '{"data": 1}{"data": 2}' },
    { label: 'BOM prefix', text: '\ufeff{"data": {}}' },
    {
      label: 'invalid UTF-8 bytes',
      text: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    },
    { label: 'NUL bytes', text: '{"data":\u0000{}}' },
    { label: 'lone surrogate escape', text: '{"data": "\\ud800", "name": "\\udfff"}' },
    { label: 'control characters in string', text: '{"data": "a\u0001\u0002b"}' },
    { label: 'null', text: 'null' },
    { label: 'true', text: 'true' },
    { label: 'number', text: '42' },
    { label: 'string', text: '"just a string"' },
    { label: 'array', text: '[1,2,3]' },
    { label: 'empty object', text: '{}' },
    { label: 'data null', text: '{"data": null}' },
    { label: 'data missing', text: '{"name": "ingest"}' },
    { label: 'huge number', text: '{"data": {"documentId": 1e400}}' },
    { label: 'negative zero id', text: '{"data": {"documentId": -0}}' },
    { label: 'duplicate keys', text: '{"data": 1, "data": {"__proto__": {}}}' },
    { label: 'unknown envelope field', text: '{"data": {}, "evil": true}' },
    { label: 'options wrong type', text: '{"data": {}, "options": "fast"}' },
    { label: 'delay negative', text: '{"data": {}, "options": {"delay": -1}}' },
    { label: 'delay huge', text: '{"data": {}, "options": {"delay": 1e300}}' },
    { label: 'priority fraction', text: '{"data": {}, "options": {"priority": 1.5}}' },
    { label: 'name too long', text: JSON.stringify({ name: 'n'.repeat(10_000), data: {} }) },
    { label: 'name with newlines', text: JSON.stringify({ name: 'a\nb\r\nc', data: {} }) },
    { label: 'key with 100k chars', text: JSON.stringify({ ['k'.repeat(100_000)]: 1 }) },
    { label: '50k-element array', text: JSON.stringify({ data: new Array(50_000).fill(0) }) },
    {
      label: '20k keys',
      text: JSON.stringify({
        data: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])),
      }),
    },
    { label: 'nesting 65 objects', text: nested(65, '{"a":', '}') },
    { label: 'nesting 65 arrays', text: nested(65, '[', ']') },
    { label: 'nesting 1,000 arrays', text: nested(1000, '[', ']') },
    { label: 'nesting 100,000 arrays', text: nested(100_000, '[', ']') },
    { label: 'nesting 50,000 objects', text: nested(50_000, '{"a":', '}') },
    { label: 'nesting 130,000 unclosed', text: '['.repeat(130_000) },
    { label: 'data nested 70 deep', text: `{"data": ${nested(70, '{"x":', '}')}}` },
    { label: '__proto__ at top', text: '{"__proto__": {"polluted": "yes"}, "data": {}}' },
    { label: '__proto__ in data', text: '{"data": {"__proto__": {"polluted": "yes"}}}' },
    {
      label: '__proto__ nested deep',
      text: '{"data": {"a": {"b": [{"__proto__": {"admin": true}}]}}}',
    },
    { label: '__proto__ in options', text: '{"data": {}, "options": {"__proto__": {"delay": 1}}}' },
    {
      label: 'constructor.prototype',
      text: '{"constructor": {"prototype": {"polluted": "yes"}}, "data": {"constructor": {"prototype": {"isAdmin": true}}}}',
    },
    { label: 'escaped __proto__ key', text: '{"data": {"\\u005f_proto__": {"polluted": "yes"}}}' },
    { label: '__proto__ array', text: '{"data": [{"__proto__": []}]}' },
  ];
  return texts;
}
