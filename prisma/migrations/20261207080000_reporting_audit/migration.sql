-- reporting.audit: the audit log for analysts (read-only, snake_case, a COMMENT on every column).
CREATE VIEW "reporting"."audit" AS
SELECT
  a."id"            AS id,
  a."at"            AS at,
  a."actorUserId"   AS actor_user_id,
  u."email"         AS actor_email,
  a."actorApiKeyId" AS actor_api_key_id,
  a."action"        AS action,
  a."targetType"    AS target_type,
  a."targetId"      AS target_id,
  a."details"       AS details,
  a."requestId"     AS request_id
FROM "AuditEvent" a
LEFT JOIN "User" u ON u."id" = a."actorUserId";

COMMENT ON VIEW "reporting"."audit" IS 'Append-only record of every administrative or key-management act (users, keys, teams, prices, repricing, reconciliation runs, alerts, purge, export)';
COMMENT ON COLUMN "reporting"."audit".id IS 'Event id (uuidv7: time-ordered)';
COMMENT ON COLUMN "reporting"."audit".at IS 'When the act was committed (timestamptz, UTC)';
COMMENT ON COLUMN "reporting"."audit".actor_user_id IS 'The user who acted; the bootstrap admin for ADMIN_API_KEY and the operator CLIs';
COMMENT ON COLUMN "reporting"."audit".actor_email IS 'The acting user''s email';
COMMENT ON COLUMN "reporting"."audit".actor_api_key_id IS 'The API key used; null for ADMIN_API_KEY and the operator CLIs';
COMMENT ON COLUMN "reporting"."audit".action IS 'What was done, e.g. key.create, key.rotate, key.revoke, key.limits, team.create, price.set, repricing.run, reconciliation.run, alert.create, purge, export';
COMMENT ON COLUMN "reporting"."audit".target_type IS 'The kind of thing acted on: USER, API_KEY, TEAM, MODEL_PRICE, REPRICE_RUN, RECONCILE_RUN, BUDGET_ALERT';
COMMENT ON COLUMN "reporting"."audit".target_id IS 'The id of the thing acted on';
COMMENT ON COLUMN "reporting"."audit".details IS 'What changed (JSON; never a secret)';
COMMENT ON COLUMN "reporting"."audit".request_id IS 'The x-request-id of the request that did it; null from the CLIs';
