import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * A document URL resolves to a private, loopback, link-local or otherwise non-public address and
 * `INGEST_ALLOW_PRIVATE_URLS` is off. Refused so a job cannot make the worker reach internal
 * services.
 */
export class BlockedAddressError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_BLOCKED_ADDRESS';

  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `Refusing to fetch from ${host}: it resolves to ${address}, a non-public address (set INGEST_ALLOW_PRIVATE_URLS=true to allow)`,
    );
    this.name = 'BlockedAddressError';
  }
}
