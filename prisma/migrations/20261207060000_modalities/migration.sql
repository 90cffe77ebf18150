-- Every modality of the universal endpoint: a ledger row says what the call produced (TEXT,
-- EMBEDDING, IMAGE, TRANSCRIPTION, SPEECH) and the units it was billed on (images, 512x512 image
-- tiles, steps, audio seconds, characters; embedding tokens are its input tokens). Prices gain
-- per-unit columns. The daily roll-up groups by modality and sums the units.

CREATE TYPE "Modality" AS ENUM ('TEXT', 'EMBEDDING', 'IMAGE', 'TRANSCRIPTION', 'SPEECH');

ALTER TABLE "UsageRecord" ADD COLUMN "modality" "Modality" NOT NULL DEFAULT 'TEXT',
ADD COLUMN "images" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "imageTiles" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "imageSteps" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "audioSeconds" DECIMAL(14,3) NOT NULL DEFAULT 0,
ADD COLUMN "characters" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "ModelPrice" ADD COLUMN "perImageTile" DECIMAL(20,10),
ADD COLUMN "perImageStep" DECIMAL(20,10),
ADD COLUMN "perAudioMinute" DECIMAL(20,10),
ADD COLUMN "perThousandChars" DECIMAL(20,10);

ALTER TABLE "UsageDaily" ADD COLUMN "modality" "Modality" NOT NULL DEFAULT 'TEXT',
ADD COLUMN "images" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "imageTiles" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "imageSteps" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "audioSeconds" DECIMAL(20,3) NOT NULL DEFAULT 0,
ADD COLUMN "characters" BIGINT NOT NULL DEFAULT 0;

-- The roll-up's group key, its trigger function and the rebuild: 20261207090000_usage_daily_every_dimension.
