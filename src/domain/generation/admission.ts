// Admission: the checks a call passes before it goes upstream (rate limits, budgets), with a
// reservation that is settled to the actual usage afterwards or released on failure.
import type { BilledUnits } from '../../upstream/call-vocabulary.ts';
import type { Principal } from '../access/principal.ts';
import type { UsageRow } from '../ledger/usage-row.ts';

export interface AdmissionRequest {
  principal: Principal;
  model: string;
  /** The most output the call can be billed: the output cap it sends upstream. */
  maxTokens: number;
  /** The most input tokens the call can be billed (limits/reservation-bound.ts). */
  inputTokenBound?: number;
  /** A non-text call's units at most (image tiles and steps, audio seconds, characters), priced into the reservation. */
  units?: BilledUnits;
}

export interface Reservation {
  /** The call ended (any status): settle to what it actually used. */
  settle(row: UsageRow): Promise<void>;
  /** The call never went upstream (e.g. storing its message failed): give everything back. */
  release(): Promise<void>;
}

export interface Admission {
  /** Throws RATE_LIMITED / BUDGET_EXCEEDED when the call may not go upstream. */
  admit(request: AdmissionRequest): Promise<Reservation>;
}

export const ADMIT_ALL: Admission = {
  admit: async () => ({ settle: async () => {}, release: async () => {} }),
};
