// tRPC: embed, generateImage, transcribe, speak (mutations).
import { embedInput, generateImageInput, speakInput, transcribeInput } from '../../domain/modalities/schemas.ts';
import { authedProcedure } from '../init.ts';
import { callOptions } from '../call-options.ts';

export const modalityProcedures = {
  embed: authedProcedure.input(embedInput).mutation(({ ctx, input, signal }) => ctx.services.modalities.embed(ctx.principal, input, callOptions(ctx, signal))),
  generateImage: authedProcedure.input(generateImageInput).mutation(({ ctx, input, signal }) => ctx.services.modalities.generateImage(ctx.principal, input, callOptions(ctx, signal))),
  transcribe: authedProcedure.input(transcribeInput).mutation(({ ctx, input, signal }) => ctx.services.modalities.transcribe(ctx.principal, input, callOptions(ctx, signal))),
  speak: authedProcedure.input(speakInput).mutation(({ ctx, input, signal }) => ctx.services.modalities.speak(ctx.principal, input, callOptions(ctx, signal))),
};
