// Signing in: paste an API key; it is checked with `me` and kept in session storage only.
import { fill, h } from './dom.ts';
import { MeQuery } from './documents.ts';
import { ApiError, request } from './graphql.ts';
import { session } from './session.ts';

export function renderSignIn(root: HTMLElement, onSignedIn: () => void): void {
  const notice = session.takeNotice();
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'api-key-help' });
  const message = h('p', { id: 'sign-in-message', class: notice ? 'error' : 'hidden', role: 'alert', 'data-testid': 'sign-in-message' }, notice ?? '');
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Switchboard usage'),
    h('p', {}, 'Sign in with a Switchboard API key to see spend, tokens and calls. A user sees its own usage; an admin sees everyone’s.'),
    message,
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { id: 'api-key-help', class: 'help' }, 'Kept in this tab’s session storage only and sent as a Bearer token to this server.'),
    button,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      await request(MeQuery, {}, key);
      session.signIn(key);
      onSignedIn();
    } catch (error) {
      const text =
        error instanceof ApiError && error.code === 'UNAUTHENTICATED'
          ? 'That key was not accepted: it may be mistyped, revoked or expired.'
          : error instanceof Error
            ? error.message
            : 'Sign-in failed.';
      message.textContent = text;
      message.className = 'error';
      button.disabled = false;
      button.textContent = 'Sign in';
      input.focus();
    }
  });
  fill(root, h('main', { id: 'main', class: 'sign-in-page' }, form));
  input.focus();
}
