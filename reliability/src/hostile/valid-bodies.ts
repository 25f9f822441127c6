import { appMention, inlineDocument } from '../support/payloads.js';

/**
 * The valid requests the mutations start from, with the paths their schemas require and the
 * pattern-checked string fields. Never sent as they are: only broken copies are.
 */
export const validBodies = {
  ingest: {
    body: { data: inlineDocument('hostile-doc') },
    required: [
      ['data'],
      ['data', 'documentId'],
      ['data', 'source'],
      ['data', 'source', 'kind'],
      ['data', 'source', 'text'],
    ],
    ids: [
      ['data', 'documentId'],
      ['data', 'source', 'kind'],
      ['data', 'source', 'mediaType'],
    ],
  },
  slackJob: {
    body: { name: 'app_mention', data: appMention('EvHOSTILE', 1) },
    required: [
      ['data'],
      ['data', 'type'],
      ['data', 'event'],
      ['data', 'event', 'type'],
      ['data', 'event_id'],
    ],
    ids: [['name'], ['data', 'type']],
  },
  bulk: {
    body: { jobs: [{ data: inlineDocument('hostile-a') }, { data: inlineDocument('hostile-b') }] },
    required: [
      ['jobs'],
      ['jobs', 0, 'data'],
      ['jobs', 1, 'data', 'documentId'],
      ['jobs', 1, 'data', 'source'],
    ],
    ids: [
      ['jobs', 0, 'data', 'documentId'],
      ['jobs', 1, 'data', 'source', 'kind'],
    ],
  },
  slackEvent: {
    body: appMention('EvHOSTILE2', 2),
    // Only what the catalog checks: the rest of an envelope is kept as Slack sent it.
    required: [['type'], ['event'], ['event', 'type'], ['event_id']],
    ids: [['type']],
  },
  interaction: {
    body: { type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'a' }] },
    required: [['type'], ['user'], ['user', 'id']],
    ids: [],
  },
  command: {
    body: {
      command: '/weather',
      text: '94070',
      team_id: 'T1',
      channel_id: 'C1',
      user_id: 'U1',
      response_url: 'https://hooks.slack.com/commands/1/2',
    },
    required: [['command'], ['team_id'], ['channel_id'], ['user_id'], ['response_url']],
    ids: [['command'], ['response_url']],
  },
};
