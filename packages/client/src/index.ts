// switchboard/client: the typed tRPC client of Switchboard for TypeScript services.
export { closeSwitchboardClient, createSwitchboardClient, type SwitchboardClient, type SwitchboardClientOptions } from './create-client.ts';
export type * from './types.ts';
