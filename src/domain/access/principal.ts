// Who is calling: resolved once per request from the bearer key, then passed to every service.
import { AppError } from '../../platform/errors.ts';

export type Role = 'USER' | 'ADMIN';

export interface Principal {
  userId: string;
  role: Role;
  /** The API key used (the apiKeyId of its ledger rows); absent for the bootstrap ADMIN_API_KEY. */
  keyId?: string;
  /** The caller's team (its calls count toward the team's limits and carry its teamId); null: none. */
  teamId?: string | null;
}

export const isAdmin = (p: Principal): boolean => p.role === 'ADMIN';

/** FORBIDDEN unless the caller is an admin. */
export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw new AppError('FORBIDDEN', 'This operation needs the ADMIN role');
}
