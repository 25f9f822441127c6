import type { LabelledText } from './json-texts.js';
import type { Prng } from './prng.js';
import { validBodies } from './valid-bodies.js';

const BAD_STRINGS = [
  '',
  ' ',
  'null',
  '[object Object]',
  '../../etc/passwd',
  'javascript:alert(1)',
  'ftp://x/y',
  'é',
  '\u0000',
  'x'.repeat(5000),
];

const encode = (fields: [string, string][]) => new URLSearchParams(fields).toString();

/**
 * Form bodies (`application/x-www-form-urlencoded`) a slash-command receiver must refuse:
 * required fields missing or malformed, `__proto__` fields, repeated keys whose last value is
 * bad, percent-encoding garbage, binary junk.
 */
export function hostileCommandForms(count: number, rng: Prng): LabelledText[] {
  const { body, required, ids } = validBodies.command;
  const entries = Object.entries(body) as [string, string][];
  const fixed: LabelledText[] = [
    { label: 'command form: empty', text: '' },
    { label: 'command form: only ssl_check=0', text: 'ssl_check=0' },
    { label: 'command form: __proto__ field', text: `__proto__=x&${encode(entries)}` },
    { label: 'command form: __proto__[polluted]', text: `__proto__%5Bpolluted%5D=yes&command=bad` },
    {
      label: 'command form: constructor.prototype',
      text: 'constructor[prototype][x]=1&command=%2F',
    },
    { label: 'command form: percent garbage', text: '%zz%%%E0%A4%A=&=&&=' },
    { label: 'command form: binary', text: Buffer.from([0, 255, 254, 61, 38, 0x80]) },
    {
      label: 'command form: JSON instead',
      text: JSON.stringify(body).replace('/weather', 'weather'),
    },
    {
      label: 'command form: 20k fields',
      text: Array.from({ length: 20_000 }, (_, i) => `f${i}=${i}`).join('&'),
    },
    { label: 'command form: last command wins, bad', text: `${encode(entries)}&command=nope` },
  ];
  const generated = Array.from({ length: count }, (): LabelledText => {
    if (rng.next() < 0.5) {
      const [field] = rng.pick(required) as [string];
      return {
        label: `command form: ${field} removed`,
        text: encode(entries.filter(([key]) => key !== field)),
      };
    }
    const [field] = rng.pick(ids) as [string];
    const bad = rng.pick(BAD_STRINGS);
    return {
      label: `command form: ${field} bad`,
      text: encode(entries.map(([key, value]) => [key, key === field ? bad : value])),
    };
  });
  return [...fixed, ...generated];
}

/** Wraps JSON texts as the interactivity receiver gets them: one `payload` form field. */
export function asInteractionForms(texts: LabelledText[]): LabelledText[] {
  return [
    { label: 'interaction form: no payload field', text: 'type=block_actions&user=U1' },
    { label: 'interaction form: empty', text: '' },
    { label: 'interaction form: __proto__ field', text: '__proto__=1&payload=%7B%7D' },
    ...texts.map(({ label, text }) => ({
      label: `interaction payload: ${label}`,
      text: encode([['payload', Buffer.isBuffer(text) ? text.toString('latin1') : text]]),
    })),
  ];
}
