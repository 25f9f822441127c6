/** An Events API `app_mention` delivery; each `eventId` is one reply the worker must post once. */
export function appMention(eventId: string, index: number) {
  const ts = `${1_700_000_000 + index}.${String(index % 1_000_000).padStart(6, '0')}`;
  return {
    type: 'event_callback',
    token: 'verification-token-unused',
    team_id: 'T0RELIABLE',
    api_app_id: 'A0RELIABLE',
    event: {
      type: 'app_mention',
      user: 'U0HUMAN',
      text: `<@U0CONVEYOR> reliability check ${index}`,
      ts,
      channel: `C0REL${index % 50}`,
      event_ts: ts,
    },
    event_id: eventId,
    event_time: 1_700_000_000 + index,
  };
}

/** An `ingest` job with a small inline document; the worker writes `<documentId>.jsonl`. */
export function inlineDocument(documentId: string, text = `Document ${documentId}.`) {
  return { documentId, source: { kind: 'inline', text, mediaType: 'text/plain' } };
}
