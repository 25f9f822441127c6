export { addBulkAtomically, type BulkJob } from './add-bulk-atomically.js';
export type { QuotaCharge } from './client-quota.js';
export {
  type DeadLetter,
  type DeadLetterData,
  DeadLetterQueue,
  type DeadLetterQueueOptions,
  type DeadLetterReason,
  deadLetterId,
  type RecordResult,
} from './dead-letter-queue.js';
export {
  DeadLetterSweep,
  type DeadLetterSweepOptions,
  type SweepResult,
} from './dead-letter-sweep.js';
export { IdempotencyKeyReusedError } from './errors/idempotency-key-reused-error.js';
export { InvalidSearchCursorError } from './errors/invalid-search-cursor-error.js';
export { JobCancelledError } from './errors/job-cancelled-error.js';
export { JobExpiredError } from './errors/job-expired-error.js';
export { JobFinishedError } from './errors/job-finished-error.js';
export { JobNotFoundError } from './errors/job-not-found-error.js';
export { PayloadTooLargeError } from './errors/payload-too-large-error.js';
export { type PayloadIssue, PayloadValidationError } from './errors/payload-validation-error.js';
export { QuotaExceededError } from './errors/quota-exceeded-error.js';
export { RedisUnavailableError } from './errors/redis-unavailable-error.js';
export { ReplicaAckTimeoutError } from './errors/replica-ack-timeout-error.js';
export { TenantNotAllowedError } from './errors/tenant-not-allowed-error.js';
export { UnknownQueueError } from './errors/unknown-queue-error.js';
export { UnknownSearchKeyError } from './errors/unknown-search-key-error.js';
export { isFinalFailure } from './final-failure.js';
export {
  FinishedJobMetrics,
  type FinishedJobMetricsOptions,
  type FinishedOutcome,
} from './finished-job-metrics.js';
export { type CancelResult, JobCanceller } from './job-canceller.js';
export type { EnqueueOptions, EnqueueResult, JobRequest } from './job-enqueuer.js';
export { expiresAtOf, setExpiry } from './job-expiry.js';
export {
  BACKOFF_JITTER,
  DEAD_LETTER_RETENTION_MS,
  FAILED_RETENTION_MS,
  KEEP_COMPLETED,
  KEEP_FAILED,
} from './job-policies.js';
export {
  BULLMQ_JOB_STATES,
  FINAL_JOB_STATES,
  isFinalJobState,
  JOB_ENDINGS,
  type JobEnding,
  type JobEndingRecord,
  type JobState,
  readJobEndings,
  recordJobEnding,
  reportedCounts,
  reportedState,
} from './job-state.js';
export { Producer, type ProducerOptions } from './producer.js';
export {
  deadLetterQueueName,
  INGEST_JOB,
  isQueueName,
  QUEUE_CATALOG,
  QUEUE_NAMES,
  type QueueName,
  SLACK_INTERACTION_JOB,
  SLACK_SLASH_COMMAND_JOB,
} from './queue-catalog.js';
export { type ParsedJob, type QueueDefinition, toPayloadIssues } from './queue-definition.js';
export {
  DEFAULT_READER_IDLE_MS,
  QueueEventReaders,
  type QueueEventReadersOptions,
} from './queue-event-readers.js';
export { type QueueBacklog, readQueueBacklog } from './read-queue-backlog.js';
export { toRedisFailure, withDeadline } from './redis-failure.js';
export * from './redis-keys.js';
export { tenantKeys } from './redis-keys.js';
export { ReplicaAck, type ReplicaAckOptions } from './replica-ack.js';
export { ScheduleTicks, type ScheduleTicksOptions } from './schedule-ticks.js';
export * from './schemas/ingestion-payload.js';
export * from './schemas/slack-envelope.js';
export * from './schemas/slack-interaction.js';
export * from './schemas/slack-slash-command.js';
export { CLAIM_REPLY_SCRIPT } from './scripts/claim-reply.js';
export { COMPARE_AND_DELETE_SCRIPT } from './scripts/compare-and-delete.js';
export { COMPARE_AND_EXTEND_SCRIPT } from './scripts/compare-and-extend.js';
export { HOLD_LEASE_SCRIPT } from './scripts/hold-lease.js';
export { LIFT_QUEUE_PAUSE_SCRIPT, PAUSE_QUEUE_SCRIPT } from './scripts/queue-pause.js';
export {
  DEFAULT_SEARCH_LIMIT,
  type FoundJob,
  MAX_SEARCH_LIMIT,
  SEARCH_STATES,
  type SearchPage,
  type SearchQuery,
  type SearchState,
  searchJobs,
} from './search/search-jobs.js';
export {
  COMMON_SEARCH_KEYS,
  extractSearchKeys,
  isSearchKeyOf,
  MAX_SEARCH_VALUE_LENGTH,
  type SearchKeys,
  validSearchKeys,
} from './search/search-keys.js';
export { applyTurns, type PlacedJob } from './tenants/apply-turns.js';
export { assignTurns, MAX_TURN, type TurnRequest } from './tenants/assign-turns.js';
export {
  DEFAULT_TENANT,
  isTenant,
  jobTenant,
  setTenant,
  TENANT_PATTERN,
  TENANT_RULE,
} from './tenants/job-tenant.js';
export {
  MAX_TENANT_OFFSET,
  type ReadTenantsOptions,
  readTenantGauges,
  readTenants,
  type TenantGaugeValues,
  type TenantPage,
  type TenantSummary,
} from './tenants/read-tenants.js';
export { resolveTenant } from './tenants/resolve-tenant.js';
export { slackTenant } from './tenants/slack-tenant.js';
export {
  type Admission,
  limitTenant,
  TenantGate,
  type TenantGateOptions,
  type TenantLimiter,
} from './tenants/tenant-gate.js';
