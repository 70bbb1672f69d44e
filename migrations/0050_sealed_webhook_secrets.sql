-- Webhook secrets are stored sealed (AES-256-GCM under SECRETS_KEY, "sealed:v1:..."), never
-- in plain text. The key lives in configuration, not in the database, so SQL cannot encrypt
-- the rows already there: the service seals them at start-up, after migrations and before it
-- listens (src/services/seal-secrets.ts). NOT VALID makes every new or updated secret obey at
-- once while the rows written before wait for that step; a later migration can VALIDATE it.
alter table components
  add constraint components_webhook_secret_sealed check (webhook_secret like 'sealed:v1:%') not valid;
