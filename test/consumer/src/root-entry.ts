// The package root exports the AppRouter type too (as the README's older examples import it).
import type { AppRouter } from 'switchboard';
import type { AppRouter as FromClient } from 'switchboard/client';

export type SameRouter = AppRouter extends FromClient ? (FromClient extends AppRouter ? true : false) : false;
export const same: SameRouter = true;
