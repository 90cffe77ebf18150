// Validated message inputs as call-vocabulary messages, and the image size cap (MAX_IMAGE_BYTES,
// on the decoded bytes of inline data; larger images go by URL).
import type { ChatMessage, ImageInput } from '../../upstream/call-vocabulary.ts';
import { AppError } from '../../platform/errors.ts';
import type { ImageInputValue } from './feature-schemas.ts';
import type { messageInput } from './schemas.ts';
import type { z } from 'zod';

export const DEFAULT_MAX_IMAGE_BYTES = 524_288;

export const toImage = (image: ImageInputValue): ImageInput =>
  typeof image.url === 'string' ? { url: image.url } : { data: image.data!, mediaType: image.mediaType! };

/** Decoded size of base64 data (padding aware), without decoding it. */
export const decodedBytes = (base64: string): number => Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);

/** BAD_INPUT (field `${field}.${i}.data`) when an inline image is over the cap. */
export function checkImages(images: readonly ImageInputValue[] | null | undefined, field: string, maxBytes: number): void {
  (images ?? []).forEach((image, i) => {
    if (typeof image.data === 'string' && decodedBytes(image.data) > maxBytes) {
      throw new AppError('BAD_INPUT', `${field}.${i}.data: the image is over the ${maxBytes}-byte limit (MAX_IMAGE_BYTES); send larger images by url`, { field: `${field}.${i}.data` });
    }
  });
}

export function toChatMessage(m: z.infer<typeof messageInput>): ChatMessage {
  return {
    role: m.role,
    content: m.content,
    ...(m.images?.length && { images: m.images.map(toImage) }),
    ...(m.toolCalls?.length && { toolCalls: m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) }),
    ...(m.toolCallId != null && { toolCallId: m.toolCallId }),
  };
}

/**
 * Input tokens an image may cost, for estimates (reservations, the context cap): providers bill
 * by pixels (Anthropic ~1,600 for a 1.15-megapixel image, OpenAI up to ~1,100 at high detail);
 * the upstream's usage reports the real count.
 */
export const IMAGE_TOKEN_ESTIMATE = 1_600;

/** Characters of what a message carries beyond its content (tool-call names and arguments, the call id), for estimates. */
export const extraChars = (m: ChatMessage): number =>
  (m.toolCalls ?? []).reduce((n, c) => n + c.name.length + c.arguments.length, 0) + (m.toolCallId?.length ?? 0);

/** Estimated input tokens of a message's images. */
export const imageTokens = (m: ChatMessage): number => IMAGE_TOKEN_ESTIMATE * (m.images?.length ?? 0);
