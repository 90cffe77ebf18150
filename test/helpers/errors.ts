// What a failed tRPC call says: the error's `data` (appCode, field, retryAfterMs, ...).
import { TRPCClientError } from '@trpc/client';

export interface TrpcErrorData {
  appCode: string;
  code: string;
  httpStatus: number;
  field?: string;
  retryAfterMs?: number;
  limit?: string;
  [key: string]: unknown;
}

/** Awaits a call that must fail with a TRPCClientError and returns its data. */
export async function trpcErrorData(promise: Promise<unknown>): Promise<TrpcErrorData> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) return error.data as TrpcErrorData;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** The contract code of a call that must fail. */
export const trpcCode = async (promise: Promise<unknown>): Promise<string> => (await trpcErrorData(promise)).appCode;
