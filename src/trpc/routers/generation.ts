// tRPC: generate (mutation) and generateStream (subscription).
import { generateInput } from '../../domain/generation/schemas.ts';
import { authedProcedure } from '../init.ts';
import { callOptions } from '../call-options.ts';

export const generationProcedures = {
  generate: authedProcedure
    .input(generateInput)
    .mutation(({ ctx, input, signal }) => ctx.services.generation.generate(ctx.principal, input, callOptions(ctx, signal))),
  generateStream: authedProcedure
    .input(generateInput)
    .subscription(({ ctx, input, signal }) => ctx.services.generation.generateStream(ctx.principal, input, callOptions(ctx, signal, true))),
};
