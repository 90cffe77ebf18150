// What every panel gets: the caller, the key, what to show, and the scope of its queries.
import type { ResultOf } from 'gql.tada';
import type { MeQuery } from '../documents.ts';
import type { ViewState } from '../view-state.ts';

export type Me = ResultOf<typeof MeQuery>['me'];

export interface PanelContext {
  apiKey: string;
  me: Me;
  isAdmin: boolean;
  state: ViewState;
  from: Date;
  to: Date;
  days: string[];
  /** usageReport's scope: an admin sees everyone (or the chosen user); a user only itself. */
  scope: { userId?: string; allUsers?: boolean };
  /** Writes a new state to the URL and reloads what depends on it. */
  update(change: (state: ViewState) => void): void;
  /** One value per key for the panels of one load: a request that feeds two panels is sent once. */
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export interface Panel {
  id: string;
  title: string;
  /** Fills body; throws an ApiError on failure (the shell shows it). */
  load(ctx: PanelContext, body: HTMLElement): Promise<void>;
}
