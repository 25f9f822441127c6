/** One hostile request, sent through an HTTP client. */
export interface HttpCase {
  kind: 'http';
  /** What it tries, for the report. */
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** One hostile request as raw bytes on a socket: what no well-behaved client can send. */
export interface RawCase {
  kind: 'raw';
  label: string;
  bytes: Buffer;
}

export type HostileCase = HttpCase | RawCase;

/** What the suite knows that lets a hostile request get past the door it attacks. */
export interface CorpusContext {
  apiToken: string;
  slackSigningSecret: string;
}
