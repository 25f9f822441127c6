import { randomBytes, randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import '@conveyor/testing';
import type { Installation } from '@slack/oauth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InstallationNotFoundError } from './errors/installation-not-found-error.js';
import { SlackInstallationStore } from './installation-store.js';
import { TokenCipher } from './token-cipher.js';

const teamInstall = (teamId: string, token: string, botUserId = `U${teamId}`): Installation => ({
  team: { id: teamId, name: `Team ${teamId}` },
  enterprise: undefined,
  user: { id: 'U1', token: undefined, scopes: undefined },
  bot: { id: 'B1', userId: botUserId, token, scopes: ['chat:write'] },
  isEnterpriseInstall: false,
  authVersion: 'v2',
});

const orgInstall = (enterpriseId: string, token: string): Installation =>
  ({
    team: undefined,
    enterprise: { id: enterpriseId, name: 'Org' },
    user: { id: 'U1', token: undefined, scopes: undefined },
    bot: { id: 'B2', userId: 'UORGBOT', token, scopes: ['chat:write'] },
    isEnterpriseInstall: true,
    authVersion: 'v2',
  }) as Installation;

describe('SlackInstallationStore', () => {
  let connection: RedisConnection;
  let prefix: string;
  let now = 1_000_000;
  let store: SlackInstallationStore;

  beforeAll(async () => {
    prefix = `s${randomUUID().slice(0, 8)}`;
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix },
    ).redis;
    connection = createRedisConnection(config, 'admin');
    await waitUntilReady(connection, 5000);
    store = new SlackInstallationStore({
      connection,
      prefix,
      cipher: new TokenCipher([{ version: 1, key: randomBytes(32) }]),
      now: () => now,
    });
  });
  afterAll(() => connection.disconnect());

  it('stores each workspace under its prefix, sealed: no token in Redis', async () => {
    await store.storeInstallation(teamInstall('TA1', 'xoxb-team-a-secret'));
    const keys = await connection.keys(`${prefix}:*`);
    expect(keys).toEqual([`${prefix}:slack:installation:team:TA1`]);
    const raw = JSON.stringify(await connection.hgetall(keys[0] as string));
    expect(raw).not.toContain('xoxb');
    expect(raw).not.toContain('Team TA1');
    expect(await store.findBotToken({ teamId: 'TA1', isEnterpriseInstall: false })).toEqual({
      installationId: 'team:TA1',
      token: 'xoxb-team-a-secret',
      botUserId: 'UTA1',
    });
    const fetched = await store.fetchInstallation({
      teamId: 'TA1',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(fetched.team?.name).toBe('Team TA1');
  });

  it('serves a workspace of an organisation from its org-wide install', async () => {
    await store.storeInstallation(orgInstall('EO1', 'xoxb-org-secret'));
    for (const isEnterpriseInstall of [true, false]) {
      expect(
        await store.findBotToken({ teamId: 'TX9', enterpriseId: 'EO1', isEnterpriseInstall }),
      ).toMatchObject({ installationId: 'enterprise:EO1', token: 'xoxb-org-secret' });
    }
    expect(await store.findBotToken({ teamId: 'TX9', isEnterpriseInstall: false })).toBeUndefined();
    await expect(
      store.fetchInstallation({
        teamId: 'TX9',
        enterpriseId: undefined,
        isEnterpriseInstall: false,
      }),
    ).rejects.toThrow(InstallationNotFoundError);
  });

  it('removes on uninstall unless reinstalled since, or another bot was revoked', async () => {
    now = 2_000_000;
    await store.storeInstallation(teamInstall('TB1', 'xoxb-b'));
    const installationId = 'team:TB1' as const;
    expect(await store.removeUninstalled({ installationId, eventTimeMs: 1_999_000 })).toBe(
      'reinstalled',
    );
    expect(
      await store.removeUninstalled({
        installationId,
        eventTimeMs: 2_001_000,
        botUserIds: ['USOMEONE'],
      }),
    ).toBe('other-bot');
    expect(
      await store.removeUninstalled({
        installationId,
        eventTimeMs: 2_001_000,
        botUserIds: ['UTB1'],
      }),
    ).toBe('removed');
    expect(await store.removeUninstalled({ installationId, eventTimeMs: 2_001_000 })).toBe(
      'absent',
    );
    expect(await store.findBotToken({ teamId: 'TB1', isEnterpriseInstall: false })).toEqual({
      installationId,
      uninstalledAt: 2_001_000,
    });
  });

  it('remembers an uninstall until a reinstall or its expiry, behind an org-wide install', async () => {
    now = 3_000_000;
    const key = `${prefix}:slack:installation:team:TD1`;
    await store.storeInstallation(teamInstall('TD1', 'xoxb-d'));
    await store.removeUninstalled({ installationId: 'team:TD1', eventTimeMs: 3_001_000 });
    expect(await connection.hgetall(key)).toEqual({ uninstalledAt: '3001000' });
    const ttl = await connection.pttl(key);
    expect(ttl).toBeGreaterThan(29 * 24 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3_600_000);
    // The organisation's install still serves the workspace.
    await store.storeInstallation(orgInstall('EO2', 'xoxb-org2'));
    expect(
      await store.findBotToken({ teamId: 'TD1', enterpriseId: 'EO2', isEnterpriseInstall: false }),
    ).toMatchObject({ installationId: 'enterprise:EO2', token: 'xoxb-org2' });
    now = 3_002_000;
    await store.storeInstallation(teamInstall('TD1', 'xoxb-d2'));
    expect(await connection.pttl(key)).toBe(-1);
    expect(await store.findBotToken({ teamId: 'TD1', isEnterpriseInstall: false })).toMatchObject({
      token: 'xoxb-d2',
    });
  });

  it('does not open a value moved under another workspace', async () => {
    await store.storeInstallation(teamInstall('TC1', 'xoxb-c'));
    const sealed = await connection.hget(`${prefix}:slack:installation:team:TC1`, 'sealed');
    await connection.hset(`${prefix}:slack:installation:team:TC2`, 'sealed', sealed as string);
    await expect(store.findBotToken({ teamId: 'TC2', isEnterpriseInstall: false })).rejects.toThrow(
      /cannot be decrypted/,
    );
  });
});
