/**
 * A request target without its query string, for logs: a query can carry a secret
 * (`?access_token=…`) that a log must never keep.
 */
export function pathWithoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
