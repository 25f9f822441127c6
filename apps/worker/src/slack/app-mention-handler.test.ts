import type { SlackWorkspace } from '@conveyor/slack';
import { slackSamples } from '@conveyor/testing';
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { InvalidJobDataError } from '../errors/invalid-job-data-error.js';
import type { HandlerContext } from '../handlers/handler-context.js';
import {
  type AppMentionEvent,
  appMentionHandler,
  defaultMentionReply,
} from './app-mention-handler.js';
import type { ThreadReplier } from './delivery/thread-replier.js';

const mention = (text: string): AppMentionEvent => ({
  type: 'app_mention',
  user: 'U123ABC456',
  text,
  channel: 'C123ABC456',
  ts: '1515449522.000016',
});

describe('defaultMentionReply', () => {
  it('quotes the text without the mention of the bot', () => {
    expect(defaultMentionReply(mention('<@U0LAN0Z89> what time is it?'))).toBe(
      'Hi <@U123ABC456>, you said: "what time is it?"',
    );
    expect(defaultMentionReply(mention('<@U0LAN0Z89>'))).toBe('Hi <@U123ABC456>!');
  });

  it('leaves out broadcast mentions, in every form Slack sends them', () => {
    const reply = defaultMentionReply(
      mention(
        '<@U0LAN0Z89> <!channel> <!here|here> <!everyone> <!subteam^S0614TZR7|@ops> ' +
          '@channel @here @Everyone hello',
      ),
    );
    expect(reply).toBe('Hi <@U123ABC456>, you said: "hello"');
    expect(reply).not.toMatch(/<!|@channel|@here|@everyone/i);
    // An address that merely contains the word is kept.
    expect(defaultMentionReply(mention('write to ops@channel.example'))).toContain(
      'ops@channel.example',
    );
  });

  it('escapes & < > so links and markup are shown as text, not followed', () => {
    const reply = defaultMentionReply(
      mention('<@U0LAN0Z89> see <https://evil.example/x|the docs> & <#C024BE7LR|general>'),
    );
    expect(reply).toBe(
      'Hi <@U123ABC456>, you said: "see &lt;https://evil.example/x|the docs&gt; &amp; ' +
        '&lt;#C024BE7LR|general&gt;"',
    );
    // The only control sequence in the reply is the greeting's own mention.
    expect(reply.match(/<[^>]*>/g)).toEqual(['<@U123ABC456>']);
  });

  it("keeps the user's own & < > as Slack encoded them, not escaped twice", () => {
    expect(defaultMentionReply(mention('1 &lt; 2 &amp;&amp; 3 &gt; 2'))).toBe(
      'Hi <@U123ABC456>, you said: "1 &lt; 2 &amp;&amp; 3 &gt; 2"',
    );
  });

  it('cuts long text without leaving half an entity, and greets an odd user id as "there"', () => {
    const reply = defaultMentionReply(mention(`${'a'.repeat(497)}<<<<`));
    expect(reply).toBe(`Hi <@U123ABC456>, you said: "${'a'.repeat(497)}"`);
    expect(defaultMentionReply({ ...mention('hi'), user: 'U1><!channel' })).toBe(
      'Hi there, you said: "hi"',
    );
  });
});

describe('appMentionHandler', () => {
  const context = { queue: 'slack-events' } as unknown as HandlerContext;
  const job = (data: unknown) => ({ name: 'app_mention', data, attemptsStarted: 1 }) as Job;
  const replies: string[] = [];
  const replier = {
    reply: async (reply: { text: string }) => {
      replies.push(reply.text);
      return { ts: '1515449523.000100', deduplicated: false };
    },
  } as unknown as ThreadReplier;
  const workspaces: SlackWorkspace[] = [];
  const handler = appMentionHandler({
    replierFor: async (workspace) => {
      workspaces.push(workspace);
      return replier;
    },
  });

  it('replies to a documented app_mention envelope', async () => {
    await expect(handler.handle(job(slackSamples.appMention), context)).resolves.toMatchObject({
      replied: true,
      channel: 'C123ABC456',
    });
    expect(replies.at(-1)).toBe('Hi <@U123ABC456>, you said: "What is the hour of the pearl, ?"');
    // The reply speaks with the token of the event's workspace.
    expect(workspaces.at(-1)).toMatchObject({ teamId: slackSamples.appMention.team_id });
  });

  it('fails for good, naming the field, when event.channel is not a channel id', async () => {
    const envelope = {
      ...slackSamples.appMention,
      event: { ...slackSamples.appMention.event, channel: { id: 'C123ABC456' } },
    };
    const failure = handler.handle(job(envelope), context);
    await expect(failure).rejects.toBeInstanceOf(InvalidJobDataError);
    await expect(failure).rejects.toThrow(/event\.channel/);
  });
});
