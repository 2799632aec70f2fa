/** Typed failures of spam reports (GraphQL types in reports.graphql.ts). */
import { DomainError } from '../kernel/errors.js';

/** A reporting token that this server did not mint for the caller (forged, altered, or another user's). */
export class InvalidReportingTokenError extends DomainError {
  constructor(readonly index: number) {
    super('INVALID_REPORTING_TOKEN', `reportingTokens[${index}] is not a reporting token of a message delivered to the caller`);
  }
}

/** Only operators (OPERATOR_USER_IDS) may read spam reports. */
export class NotOperatorError extends DomainError {
  constructor() {
    super('NOT_OPERATOR', 'only operators (OPERATOR_USER_IDS) may read spam reports');
  }
}
