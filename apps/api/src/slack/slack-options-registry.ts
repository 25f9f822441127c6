/**
 * The answer Slack expects to an options request: `options` or `option_groups`, in the shape of
 * the surface that asked (Block Kit option objects for `block_suggestion`, `{ label, value }` for
 * a dialog's `dialog_suggestion`).
 */
export type SlackOptionsAnswer = { options: unknown[] } | { option_groups: unknown[] };

/** A `block_suggestion` or `dialog_suggestion` payload, as Slack sent it (`value` is the query). */
export type SlackOptionsRequest = Record<string, unknown> & {
  type: 'block_suggestion' | 'dialog_suggestion';
};

/**
 * Computes the options for one request. It runs inside the API's request: it must be quick and
 * must not block the event loop; `signal` aborts when the time bound is reached.
 */
export type SlackOptionsProvider = (
  request: SlackOptionsRequest,
  signal: AbortSignal,
) => SlackOptionsAnswer | Promise<SlackOptionsAnswer>;

/** How {@link SlackOptionsRegistry.answer} went, for the log. */
export type SlackOptionsOutcome =
  | { outcome: 'answered'; answer: SlackOptionsAnswer }
  | { outcome: 'unregistered' | 'timed-out'; answer: SlackOptionsAnswer }
  | { outcome: 'failed'; answer: SlackOptionsAnswer; error: Error };

/** Options for {@link SlackOptionsRegistry}. */
export interface SlackOptionsRegistryOptions {
  /**
   * Longest a provider may take, in milliseconds; past it Slack gets an empty list. Slack waits
   * 3 seconds for the whole answer, the network included.
   * @defaultValue 2500
   */
  timeoutMs?: number;
}

/** The answer when no provider has options to give. */
export const NO_SLACK_OPTIONS: SlackOptionsAnswer = Object.freeze({ options: [] });

/** The types of interaction that ask for options and wait for them in the HTTP answer. */
export const SLACK_OPTIONS_REQUEST_TYPES: ReadonlySet<unknown> = new Set([
  'block_suggestion',
  'dialog_suggestion',
]);

const TIMED_OUT = Symbol('timed out');

const isAnswer = (value: unknown): value is SlackOptionsAnswer =>
  typeof value === 'object' &&
  value !== null &&
  (Array.isArray((value as { options?: unknown }).options) ||
    Array.isArray((value as { option_groups?: unknown }).option_groups));

/**
 * The synchronous options providers of the Slack receiver. An external select (Block Kit
 * `block_suggestion`, by `action_id`) or a dialog's select (`dialog_suggestion`, by
 * `callback_id`) needs its options in the immediate HTTP answer, so these run in the API, not
 * in a worker, bounded in time. An unregistered id, a provider that fails or one that is too
 * slow answers an empty list: Slack then shows "no options" instead of an error.
 */
export class SlackOptionsRegistry {
  readonly #blockProviders = new Map<string, SlackOptionsProvider>();
  readonly #dialogProviders = new Map<string, SlackOptionsProvider>();
  readonly #timeoutMs: number;

  constructor(options: SlackOptionsRegistryOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 2500;
  }

  /** Provides the options of the Block Kit external select with this `action_id`. */
  block(actionId: string, provider: SlackOptionsProvider): this {
    this.#blockProviders.set(actionId, provider);
    return this;
  }

  /** Provides the options of the dialog with this `callback_id`. */
  dialog(callbackId: string, provider: SlackOptionsProvider): this {
    this.#dialogProviders.set(callbackId, provider);
    return this;
  }

  /** Runs the request's provider within the time bound; never rejects. */
  async answer(request: SlackOptionsRequest): Promise<SlackOptionsOutcome> {
    const provider = this.#providerFor(request);
    if (provider === undefined) return { outcome: 'unregistered', answer: NO_SLACK_OPTIONS };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.#timeoutMs);
    });
    try {
      const answer = await Promise.race([
        Promise.resolve().then(() => provider(request, controller.signal)),
        timeout,
      ]);
      if (answer === TIMED_OUT) {
        controller.abort();
        return { outcome: 'timed-out', answer: NO_SLACK_OPTIONS };
      }
      if (!isAnswer(answer)) {
        const error = new TypeError('the provider returned neither options nor option_groups');
        return { outcome: 'failed', answer: NO_SLACK_OPTIONS, error };
      }
      return { outcome: 'answered', answer };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return { outcome: 'failed', answer: NO_SLACK_OPTIONS, error: failure };
    } finally {
      clearTimeout(timer);
    }
  }

  #providerFor(request: SlackOptionsRequest): SlackOptionsProvider | undefined {
    const { type } = request;
    const id = type === 'block_suggestion' ? request.action_id : request.callback_id;
    if (typeof id !== 'string') return undefined;
    return (type === 'block_suggestion' ? this.#blockProviders : this.#dialogProviders).get(id);
  }
}
