import { CodedError } from '@conveyor/errors';
/** No schedule has this id. Maps to HTTP 404. */
export class ScheduleNotFoundError extends CodedError {
  readonly code = 'SCHEDULE_NOT_FOUND';

  constructor(readonly id: string) {
    super(`No schedule ${JSON.stringify(id)}`);
    this.name = 'ScheduleNotFoundError';
  }
}
