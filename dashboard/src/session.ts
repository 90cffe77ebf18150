// The API key lives in session storage only (gone when the tab closes), never in the URL or a cookie.
const KEY = 'switchboard.apiKey';
const NOTICE = 'switchboard.signInNotice';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (apiKey: string) => sessionStorage.setItem(KEY, apiKey),
  /** Forgets the key; the sign-in form shows the notice. */
  signOut(notice?: string) {
    sessionStorage.removeItem(KEY);
    if (notice) sessionStorage.setItem(NOTICE, notice);
    else sessionStorage.removeItem(NOTICE);
  },
  takeNotice(): string | null {
    const notice = sessionStorage.getItem(NOTICE);
    sessionStorage.removeItem(NOTICE);
    return notice;
  },
};
