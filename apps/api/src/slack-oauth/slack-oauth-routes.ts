import { RedisUnavailableError, toRedisFailure } from '@conveyor/queues';
import { addressKey } from '@conveyor/runtime';
import { SlackInstallationStore, slackLogger, TokenCipher } from '@conveyor/slack';
import type { Logger } from '@conveyor/telemetry';
import { type CodedError, ErrorCode, type Installation, InstallProvider } from '@slack/oauth';
import { type WebAPIPlatformError, ErrorCode as WebApiErrorCode } from '@slack/web-api';
import type { Express, Request, Response } from 'express';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { RouteContext } from '../routes/route-context.js';
import { RedisOAuthStateStore } from './oauth-state-store.js';
import { sendPage } from './send-page.js';
import type { SlackOAuthSettings } from './slack-oauth-env.js';

/** The cookie `@slack/oauth`'s `handleCallback` compares with the `state` of the callback. */
const STATE_COOKIE = 'slack-app-oauth-state';
/** Longest request line accepted: a callback's `code` and `state` take about 200 characters. */
const MAX_URL_CHARS = 2048;
/** Longest `code`: Slack's are about 100 characters. */
const MAX_CODE_CHARS = 512;
/** Bound of one call to Slack during the callback (`oauth.v2.access`, `auth.test`). */
const SLACK_TIMEOUT_MS = 10_000;
const RETRY_AFTER_SECONDS = '5';
/** Slack answers that mean this app is misconfigured, not that the installer did anything wrong. */
const CONFIGURATION_ERRORS = new Set([
  'invalid_client_id',
  'bad_client_secret',
  'bad_redirect_uri',
  'invalid_redirect_uri',
]);

const START_AGAIN = 'Start the installation again from /slack/install.';

/** An answer of the callback: status, page title and message. */
interface Outcome {
  status: number;
  title: string;
  message: string;
  /** A fault of this deployment (configuration, bug): logged as an error. */
  fault?: boolean;
}

/** What the callback answers for each way the flow can fail. */
function outcomeOf(error: CodedError): Outcome {
  switch (error.code) {
    case ErrorCode.MissingStateError:
    case ErrorCode.InvalidStateError:
      return {
        status: 400,
        title: 'Installation link expired',
        message: `This installation link is not valid in this browser, has expired or was already used. ${START_AGAIN}`,
      };
    case ErrorCode.MissingCodeError:
      return {
        status: 400,
        title: 'Installation failed',
        message: `Slack sent no code. ${START_AGAIN}`,
      };
    case ErrorCode.AuthorizationError:
      return {
        status: 400,
        title: 'Installation cancelled',
        message: 'The app was not installed.',
      };
    case WebApiErrorCode.PlatformError: {
      const slackError = String((error as unknown as WebAPIPlatformError).data?.error ?? 'unknown');
      return CONFIGURATION_ERRORS.has(slackError)
        ? {
            status: 500,
            title: 'Installation failed',
            message: `Slack refused this app's credentials (${slackError}); the app's operator has been told.`,
            fault: true,
          }
        : {
            status: 400,
            title: 'Installation failed',
            message: `Slack refused the installation (${slackError}). ${START_AGAIN}`,
          };
    }
    case WebApiErrorCode.RequestError:
    case WebApiErrorCode.HTTPError:
    case WebApiErrorCode.RateLimitedError:
      return {
        status: 503,
        title: 'Slack is unreachable',
        message: `Slack did not answer; try again in a moment. ${START_AGAIN}`,
      };
  }
  if (toRedisFailure(error) instanceof RedisUnavailableError) {
    return {
      status: 503,
      title: 'Try again in a moment',
      message: `The installation could not be stored right now. ${START_AGAIN}`,
    };
  }
  return {
    status: 500,
    title: 'Installation failed',
    message: 'An unexpected error occurred; it has been logged.',
    fault: true,
  };
}

/**
 * Slack's OAuth v2 install flow, served when `SLACK_CLIENT_ID` is set:
 *
 * - `GET /slack/install` stores a state ({@link RedisOAuthStateStore}), sets it in an HttpOnly
 *   cookie bound to this browser, and redirects to Slack's authorize page with `SLACK_SCOPES`.
 * - `GET /slack/oauth_redirect` is `@slack/oauth`'s `handleCallback`: the state must match the
 *   cookie and open in the store (once), then the code is exchanged at `oauth.v2.access`, and the
 *   installation is stored sealed in Redis ({@link SlackInstallationStore}); the browser gets a
 *   small page saying what happened.
 *
 * The install path is written here rather than with `handleInstallPath`, which turns every
 * error, Redis being down included, into a `GenerateInstallUrlError` (an answer of 500 instead
 * of 503). The Slack SDK's own log lines are dropped below warn: its Web API client logs each
 * request body at debug, which for `oauth.v2.access` holds the client secret and the code.
 * Both routes are rate limited per source address and refuse oversized requests.
 */
export function registerSlackOAuthRoutes(
  app: Express,
  ctx: RouteContext,
  settings: SlackOAuthSettings,
  logger: Logger,
): void {
  const { adminConnection, clock, redisTimeoutMs } = ctx;
  const { prefix } = ctx.config.redis;
  const stateStore = new RedisOAuthStateStore({
    connection: adminConnection,
    prefix,
    secret: settings.stateSecret,
    timeoutMs: redisTimeoutMs,
  });
  const installations = new SlackInstallationStore({
    connection: adminConnection,
    prefix,
    cipher: new TokenCipher(settings.tokenKeys),
    now: () => clock.now(),
  });
  const oauthLogger = logger.child({ component: 'slack-oauth' });
  const installer = new InstallProvider({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    stateStore,
    installationStore: installations,
    authorizationUrl: settings.authorizeUrl,
    stateCookieName: STATE_COOKIE,
    stateCookieExpirationSeconds: Math.floor(stateStore.ttlMs / 1000),
    logger: {
      ...slackLogger(oauthLogger, { quiet: true }),
      // handleCallback logs each failure it then hands to failureAsync, which logs it once, at
      // the level it deserves (a replayed state is not an error of this app).
      error: () => {},
    },
    clientOptions: {
      slackApiUrl: settings.apiUrl,
      timeout: SLACK_TIMEOUT_MS,
      retryConfig: { retries: 0 },
      allowAbsoluteUrls: false,
    },
  });
  const installOptions = {
    scopes: settings.scopes,
    ...(settings.redirectUrl ? { redirectUri: settings.redirectUrl } : {}),
  };
  const limiter =
    settings.rateLimitPerMinute > 0
      ? new RateLimiter({
          connection: adminConnection,
          prefix,
          limitPerMinute: settings.rateLimitPerMinute,
          clock,
          onSyncError: (error) => logger.debug({ err: error }, 'rate-limit count not stored'),
        })
      : undefined;

  /** Rate limit and size checks shared by both routes; false when a page was answered. */
  function admitted(req: Request, res: Response): boolean {
    // `req.ip`: the client behind a trusted proxy (TRUST_PROXY), as the other per-address limits.
    const decision = limiter?.take(`slack-oauth@${addressKey(req.ip)}`);
    if (decision && !decision.allowed) {
      throw new RateLimitedError(decision.limitPerMinute, decision.retryAfterSeconds);
    }
    if ((req.url?.length ?? 0) > MAX_URL_CHARS) {
      sendPage(res, 400, 'Installation failed', `The request is too long. ${START_AGAIN}`);
      return false;
    }
    return true;
  }

  app.get('/slack/install', async (req, res) => {
    if (!admitted(req, res)) return;
    let url: string;
    let state: string;
    try {
      state = await stateStore.generateStateParam(installOptions, new Date(clock.now()));
      url = await installer.generateInstallUrl(installOptions, true, state);
    } catch (error) {
      if (!(toRedisFailure(error) instanceof RedisUnavailableError)) throw error;
      sendPage(res, 503, 'Try again in a moment', 'The installation cannot start right now.', {
        'retry-after': RETRY_AFTER_SECONDS,
      });
      return;
    }
    const maxAge = Math.floor(stateStore.ttlMs / 1000);
    res.setHeader(
      'set-cookie',
      `${STATE_COOKIE}=${state}; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}`,
    );
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('location', url);
    res.statusCode = 302;
    res.end();
  });

  app.get('/slack/oauth_redirect', async (req, res) => {
    if (!admitted(req, res)) return;
    // handleCallback parses the URL against the request's Host, which a client may send
    // malformed: refused here as a bad request, not left to fail inside it as an error of ours.
    let code: string | null;
    try {
      code = new URL(req.url, `https://${req.headers.host}`).searchParams.get('code');
    } catch {
      sendPage(res, 400, 'Installation failed', `The request is malformed. ${START_AGAIN}`);
      return;
    }
    if (code !== null && code.length > MAX_CODE_CHARS) {
      sendPage(res, 400, 'Installation failed', `The code is too long. ${START_AGAIN}`);
      return;
    }
    await installer.handleCallback(req, res, {
      async afterInstallation(installation, _options, _req, response) {
        if (installation.bot?.token) return true;
        sendPage(
          response,
          400,
          'Installation failed',
          'Slack granted no bot token: SLACK_SCOPES must name bot scopes such as chat:write.',
        );
        return false;
      },
      async successAsync(installation: Installation, _options, _req, response) {
        const where = installation.isEnterpriseInstall
          ? (installation.enterprise?.name ?? 'your organisation')
          : (installation.team?.name ?? 'your workspace');
        oauthLogger.info(
          {
            teamId: installation.team?.id,
            enterpriseId: installation.enterprise?.id,
            isEnterpriseInstall: installation.isEnterpriseInstall ?? false,
            appId: installation.appId,
          },
          'Slack app installed',
        );
        sendPage(
          response,
          200,
          'Installed',
          `The app is installed in ${where}. You can close this page.`,
        );
      },
      async failureAsync(error, _options, _req, response) {
        const outcome = outcomeOf(error);
        if (outcome.fault) oauthLogger.error({ err: error }, 'Slack install failed');
        else oauthLogger.info({ code: error.code }, 'Slack install refused');
        sendPage(
          response,
          outcome.status,
          outcome.title,
          outcome.message,
          outcome.status === 503 ? { 'retry-after': RETRY_AFTER_SECONDS } : {},
        );
      },
    });
  });
}
