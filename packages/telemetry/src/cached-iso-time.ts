/**
 * pino's ISO `time` field, formatted once per millisecond: a worker or API writing thousands of
 * lines a second otherwise formats the same instant again and again.
 * Same output as `pino.stdTimeFunctions.isoTime`.
 */
export function cachedIsoTime(): () => string {
  let lastMs = Number.NaN;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}
