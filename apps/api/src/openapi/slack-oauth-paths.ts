type JsonSchema = Record<string, unknown>;

const page = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } as JsonSchema } },
});

const RATE_LIMITED = {
  description:
    'More than SLACK_OAUTH_RATE_LIMIT_PER_MINUTE requests from this address (Retry-After)',
};

/**
 * `GET /slack/install` and `GET /slack/oauth_redirect`, Slack's OAuth v2 install flow: browser
 * routes, answered with a redirect or a small HTML page, served only when `SLACK_CLIENT_ID` is
 * set (404 otherwise).
 */
export function slackOAuthPaths(): Record<string, unknown> {
  return {
    '/slack/install': {
      get: {
        operationId: 'startSlackInstall',
        summary:
          "Start installing the Slack app in a workspace: redirects to Slack's authorize page",
        description:
          'Sets the state in an HttpOnly cookie (`slack-app-oauth-state`, 10 minutes) and redirects with it, SLACK_SCOPES and SLACK_INSTALL_REDIRECT_URL. Served when SLACK_CLIENT_ID is set.',
        security: [],
        tags: ['slack'],
        responses: {
          302: { description: "Redirect to Slack's authorize page" },
          400: page('Request line too long'),
          404: { description: 'The install flow is off (SLACK_CLIENT_ID unset)' },
          429: RATE_LIMITED,
          503: page('Redis unavailable (Retry-After)'),
          // A redirect has no 2xx: Redocly's recommended rules accept `default` in its place.
          default: page('Any other answer: an HTML page saying what went wrong'),
        },
      },
    },
    '/slack/oauth_redirect': {
      get: {
        operationId: 'finishSlackInstall',
        summary:
          "Slack's OAuth redirect: verifies the state, exchanges the code, stores the installation",
        description:
          'The state must match the cookie set by /slack/install, be signed with SLACK_STATE_SECRET, unexpired and unused (each state opens one callback). The code is exchanged at oauth.v2.access; the bot token is stored encrypted per workspace (per organisation for an org-wide install).',
        security: [],
        tags: ['slack'],
        parameters: [
          {
            name: 'code',
            in: 'query',
            required: false,
            schema: { type: 'string', maxLength: 512 },
          },
          {
            name: 'state',
            in: 'query',
            required: false,
            schema: { type: 'string', maxLength: 200 },
          },
          { name: 'error', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          200: page('Installed'),
          400: page(
            'Missing, invalid, expired or reused state; cancelled; or a code Slack refused',
          ),
          404: { description: 'The install flow is off (SLACK_CLIENT_ID unset)' },
          429: RATE_LIMITED,
          500: page("Slack refused this app's credentials (configuration), or an unexpected error"),
          503: page('Redis or Slack unavailable (Retry-After)'),
        },
      },
    },
  };
}
