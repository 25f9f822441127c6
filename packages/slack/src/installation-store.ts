import type { RedisConnection } from '@conveyor/redis';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { InstallationNotFoundError } from './errors/installation-not-found-error.js';
import {
  type InstallationId,
  installationIdsOf,
  isSlackId,
  type SlackWorkspace,
} from './slack-workspace.js';
import type { TokenCipher } from './token-cipher.js';

/** Options for {@link SlackInstallationStore}. */
export interface SlackInstallationStoreOptions {
  /** A connection of the process (the API's or worker's `admin` one). */
  connection: RedisConnection;
  /** The queue prefix: keys live in its hash slot (`{conveyor}` under Cluster). */
  prefix: string;
  /** Seals installations before they reach Redis. */
  cipher: TokenCipher;
  /**
   * Clock of `installedAt`, which decides whether an uninstall event predates a reinstall.
   * @defaultValue Date.now
   */
  now?: () => number;
}

/** The bot token of the installation that serves a workspace. */
export interface BotAuthorization {
  installationId: InstallationId;
  token: string;
  botUserId?: string;
}

/**
 * What {@link SlackInstallationStore.removeUninstalled} did: `removed`; `absent` (nothing
 * stored); `reinstalled` (stored after the event, so the event is about the installation
 * before it); `other-bot` (the revoked bot tokens are not this installation's).
 */
export type UninstallOutcome = 'removed' | 'absent' | 'reinstalled' | 'other-bot';

/** Hash fields of one installation. Only `sealed` holds secrets, encrypted. */
const SEALED = 'sealed';
const INSTALLED_AT = 'installedAt';
const BOT_USER_ID = 'botUserId';

/**
 * KEYS[1] installation. ARGV[1] the event's time (ms); ARGV[2..] bot user ids whose tokens were
 * revoked (none: any). Removes the installation unless it was stored after the event or belongs
 * to another bot; in one step, so a reinstall cannot slip between the check and the delete.
 */
const REMOVE_UNINSTALLED = `
local installedAt = redis.call('HGET', KEYS[1], '${INSTALLED_AT}')
if not installedAt then return 'absent' end
if tonumber(installedAt) > tonumber(ARGV[1]) then return 'reinstalled' end
if #ARGV > 1 then
  local botUserId = redis.call('HGET', KEYS[1], '${BOT_USER_ID}')
  local revoked = false
  for i = 2, #ARGV do
    if ARGV[i] == botUserId then revoked = true end
  end
  if not revoked then return 'other-bot' end
end
redis.call('DEL', KEYS[1])
return 'removed'
`;

/** The id an installation is stored under: its organisation's for an org-wide install. */
function installationIdOf(installation: Installation): InstallationId {
  const id = installation.isEnterpriseInstall ? installation.enterprise?.id : installation.team?.id;
  if (!isSlackId(id)) {
    throw new RangeError(
      `a Slack installation needs a valid ${installation.isEnterpriseInstall ? 'enterprise' : 'team'} id`,
    );
  }
  return installation.isEnterpriseInstall ? `enterprise:${id}` : `team:${id}`;
}

function queryIdOf(query: InstallationQuery<boolean>): InstallationId {
  const id = query.isEnterpriseInstall ? query.enterpriseId : query.teamId;
  if (!isSlackId(id)) throw new InstallationNotFoundError('an installation without a valid id');
  return query.isEnterpriseInstall ? `enterprise:${id}` : `team:${id}`;
}

/**
 * Slack installations in Redis, one hash per workspace (`<prefix>:slack:installation:team:<id>`)
 * or, for an org-wide install, per organisation (`...:enterprise:<id>`), in the queue prefix's
 * hash slot. The installation (bot token, and whatever else Slack returned: user token, refresh
 * tokens, incoming webhook) is stored sealed with AES-256-GCM ({@link TokenCipher}); only the
 * install time and the bot's user id are kept in clear, for uninstall events.
 *
 * It is `@slack/oauth`'s `InstallationStore` (the API's install flow stores through it) and what
 * workers ask for a workspace's bot token. Keys are removed by uninstall events, so they grow
 * with the workspaces that have the app, not with traffic.
 */
export class SlackInstallationStore implements InstallationStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #cipher: TokenCipher;
  readonly #now: () => number;

  constructor(options: SlackInstallationStoreOptions) {
    this.#connection = options.connection;
    this.#prefix = options.prefix;
    this.#cipher = options.cipher;
    this.#now = options.now ?? Date.now;
  }

  key(id: InstallationId): string {
    return `${this.#prefix}:slack:installation:${id}`;
  }

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(
    installation: Installation<AuthVersion, boolean>,
  ): Promise<void> {
    const id = installationIdOf(installation as Installation);
    const key = this.key(id);
    await this.#connection
      .multi()
      .del(key)
      .hset(key, {
        [SEALED]: this.#cipher.seal(JSON.stringify(installation), id),
        [INSTALLED_AT]: String(this.#now()),
        ...(isSlackId(installation.bot?.userId) ? { [BOT_USER_ID]: installation.bot.userId } : {}),
      })
      .exec();
  }

  /** @throws InstallationNotFoundError when none is stored (as `@slack/oauth` expects) */
  async fetchInstallation(
    query: InstallationQuery<boolean>,
  ): Promise<Installation<'v1' | 'v2', boolean>> {
    const id = queryIdOf(query);
    const sealed = await this.#connection.hget(this.key(id), SEALED);
    if (sealed === null) throw new InstallationNotFoundError(id);
    return JSON.parse(this.#cipher.open(sealed, id)) as Installation<'v1' | 'v2', boolean>;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.#connection.del(this.key(queryIdOf(query)));
  }

  /**
   * The bot token that serves `workspace` (see `installationIdsOf` for the order), or undefined
   * when no installation holds one. One round trip.
   * @throws TokenDecryptionError when a stored installation does not open with the configured keys
   */
  async findBotToken(workspace: SlackWorkspace): Promise<BotAuthorization | undefined> {
    const ids = installationIdsOf(workspace);
    if (ids.length === 0) return undefined;
    const pipeline = this.#connection.pipeline();
    for (const id of ids) pipeline.hget(this.key(id), SEALED);
    const results = (await pipeline.exec()) ?? [];
    for (const [index, id] of ids.entries()) {
      const [error, sealed] = results[index] ?? [new Error('no reply'), null];
      if (error) throw error;
      if (typeof sealed !== 'string') continue;
      const installation = JSON.parse(this.#cipher.open(sealed, id)) as Installation;
      const token = installation.bot?.token;
      if (!token) continue;
      return {
        installationId: id,
        token,
        ...(installation.bot?.userId ? { botUserId: installation.bot.userId } : {}),
      };
    }
    return undefined;
  }

  /**
   * Removes an installation after `app_uninstalled` or `tokens_revoked`, unless it was stored
   * after `eventTimeMs` (a reinstall overtook the event) or, with `botUserIds`, it belongs to
   * another bot.
   */
  async removeUninstalled(options: {
    installationId: InstallationId;
    eventTimeMs: number;
    botUserIds?: readonly string[];
  }): Promise<UninstallOutcome> {
    return (await this.#connection.eval(
      REMOVE_UNINSTALLED,
      1,
      this.key(options.installationId),
      String(options.eventTimeMs),
      ...(options.botUserIds ?? []),
    )) as UninstallOutcome;
  }
}
