// The package entry: types for TypeScript clients, and the app factory for embedding.
export type { AppRouter } from './trpc/router.ts';
export { createApp, type App } from './app.ts';
