#include "storage/control_schema.hpp"

namespace paige::storage {

const std::vector<migration>& control_migrations() {
  static const std::vector<migration> list{
      {1, "instance settings",
       R"sql(
         -- Instance-wide settings (e.g. the fingerprint of the master key, so a start with the
         -- wrong key fails loudly instead of producing undecryptable secrets).
         CREATE TABLE instance_settings (
           key        text PRIMARY KEY,
           value      jsonb NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now()
         );
       )sql"},
      {2, "projects and project keys",
       R"sql(
         -- One row per project, kept after deletion (status 'deleted') as a tombstone.
         -- seq orders listings and backs the opaque cursor.
         CREATE TABLE projects (
           id                 text PRIMARY KEY,
           seq                bigserial UNIQUE NOT NULL,
           name               text NOT NULL,
           status             text NOT NULL CHECK (status IN
                                ('provisioning', 'active', 'paused', 'failed', 'deleting', 'deleted')),
           status_detail      text,
           settings           jsonb NOT NULL DEFAULT '{}',
           db_server          text NOT NULL DEFAULT 'default',
           db_name            text NOT NULL UNIQUE,
           db_role            text NOT NULL UNIQUE,
           db_password_sealed text NOT NULL,
           created_at         timestamptz NOT NULL DEFAULT now(),
           updated_at         timestamptz NOT NULL DEFAULT now(),
           provisioned_at     timestamptz
         );
         CREATE INDEX projects_live_seq ON projects (seq) WHERE status <> 'deleted';

         -- API keys of a project: only the SHA-256 of the key is stored.
         CREATE TABLE project_keys (
           id          text PRIMARY KEY,
           project_id  text NOT NULL REFERENCES projects (id),
           name        text NOT NULL,
           key_hash    text NOT NULL UNIQUE,
           key_prefix  text NOT NULL,
           created_at  timestamptz NOT NULL DEFAULT now(),
           revoked_at  timestamptz
         );
         CREATE INDEX project_keys_project ON project_keys (project_id, created_at);

         -- Project roles must reach their own database only, never the control database.
         DO $$ BEGIN
           EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
         END $$;
       )sql"},
      {3, "bot versions",
       R"sql(
         -- Every bot definition a project ever had; the highest version is the current one.
         CREATE TABLE bot_versions (
           project_id text NOT NULL REFERENCES projects (id),
           version    integer NOT NULL,
           definition jsonb NOT NULL,
           created_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (project_id, version)
         );
       )sql"},
      {4, "whatsapp numbers",
       R"sql(
         -- The WhatsApp Business number each project is connected to (at most one), and the
         -- sealed access token Paige calls the Graph API with.
         CREATE TABLE whatsapp_numbers (
           phone_number_id      text PRIMARY KEY,
           project_id           text NOT NULL UNIQUE REFERENCES projects (id),
           waba_id              text NOT NULL,
           display_phone_number text NOT NULL,
           verified_name        text NOT NULL,
           access_token_sealed  text NOT NULL,
           pin_sealed           text NOT NULL,
           connected_at         timestamptz NOT NULL DEFAULT now()
         );
       )sql"},
      {5, "project database layouts",
       R"sql(
         -- Which provisioning steps a project's database went through (storage/projects.hpp,
         -- current_project_layout): an older one is brought up to date when its project starts.
         ALTER TABLE projects ADD COLUMN layout integer NOT NULL DEFAULT 1;
       )sql"},
      {6, "whatsapp token health",
       R"sql(
         -- Meta refused the number's token (Graph error 190): its sends wait until the number
         -- is connected again, which writes a new row (valid).
         ALTER TABLE whatsapp_numbers ADD COLUMN token_valid boolean NOT NULL DEFAULT true;
         ALTER TABLE whatsapp_numbers ADD COLUMN token_error jsonb;
       )sql"},
      {7, "whatsapp account events and number health",
       R"sql(
         -- What Meta reported about the number (actors/core/number_health.hpp): quality,
         -- messaging limit, bans, restrictions, the display name's review, and whether its
         -- sends are held because of it.
         ALTER TABLE whatsapp_numbers ADD COLUMN health jsonb NOT NULL DEFAULT '{}';

         -- Every webhook change other than messages (account, quality, name review, alerts,
         -- and the template and flow fields), once per project: dedupe_key is the hash of the
         -- change as Meta sent it, which Meta's redeliveries repeat.
         CREATE TABLE whatsapp_events (
           id              bigserial PRIMARY KEY,
           project_id      text NOT NULL REFERENCES projects (id),
           dedupe_key      text NOT NULL,
           field           text NOT NULL,
           waba_id         text NOT NULL,
           phone_number_id text,
           event_time      bigint NOT NULL,
           value           jsonb NOT NULL,
           received_at     timestamptz NOT NULL DEFAULT now(),
           UNIQUE (project_id, dedupe_key)
         );
         CREATE INDEX whatsapp_events_project ON whatsapp_events (project_id, field, id);
       )sql"},
      {8, "whatsapp embedded signups",
       R"sql(
         -- A signup through Meta's dialog, step by step (storage/whatsapp_signups.hpp): the
         -- single-use code until it is exchanged, then the business token; sealed.
         CREATE TABLE whatsapp_signups (
           project_id          text PRIMARY KEY REFERENCES projects (id),
           waba_id             text NOT NULL,
           phone_number_id     text NOT NULL,
           step                text NOT NULL,
           status              text NOT NULL CHECK (status IN ('running', 'failed')),
           code_sealed         text,
           access_token_sealed text,
           pin_sealed          text NOT NULL,
           error               jsonb,
           redirect_uri        text NOT NULL DEFAULT '',
           started_at          timestamptz NOT NULL DEFAULT now(),
           updated_at          timestamptz NOT NULL DEFAULT now()
         );
         CREATE UNIQUE INDEX whatsapp_signups_running_number
           ON whatsapp_signups (phone_number_id) WHERE status = 'running';
       )sql"},
      {9, "message templates",
       R"sql(
         -- The message templates of the project's WABA (storage/templates.hpp), as Meta
         -- reviewed them: kept current from Meta's template webhooks and its list.
         CREATE TABLE message_templates (
           project_id       text NOT NULL REFERENCES projects (id),
           name             text NOT NULL,
           language         text NOT NULL,
           meta_id          text NOT NULL,
           waba_id          text NOT NULL,
           category         text NOT NULL,
           parameter_format text NOT NULL,
           components       jsonb NOT NULL,
           status           text NOT NULL,
           reason           text NOT NULL DEFAULT '',
           quality          text NOT NULL DEFAULT '',
           status_time      bigint NOT NULL DEFAULT 0,
           created_at       timestamptz NOT NULL DEFAULT now(),
           updated_at       timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (project_id, name, language),
           UNIQUE (project_id, meta_id)
         );

         -- The last complete read of the WABA's templates from Meta: until there is one, the
         -- stored templates are not all there are, and sends are left to Meta to judge.
         CREATE TABLE template_syncs (
           project_id text PRIMARY KEY REFERENCES projects (id),
           waba_id    text NOT NULL,
           synced_at  timestamptz NOT NULL
         );
       )sql"},
      {10, "flows",
       R"sql(
         -- The WhatsApp Flows of the project's WABA (storage/flows.hpp): the Flow JSON as last
         -- uploaded to Meta, with Meta's status and the problems Meta found in it.
         CREATE TABLE flows (
           project_id        text NOT NULL REFERENCES projects (id),
           name              text NOT NULL,
           meta_id           text NOT NULL,
           waba_id           text NOT NULL,
           categories        jsonb NOT NULL,
           flow_json         jsonb NOT NULL,
           endpoint_uri      text NOT NULL DEFAULT '',
           status            text NOT NULL,
           validation_errors jsonb NOT NULL DEFAULT '[]',
           status_time       bigint NOT NULL DEFAULT 0,
           created_at        timestamptz NOT NULL DEFAULT now(),
           updated_at        timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (project_id, name),
           UNIQUE (project_id, meta_id)
         );
       )sql"},
      {11, "flow answers mapping",
       R"sql(
         -- Where a flow's answers go besides flow_answers: {"table", "columns"} (null: nowhere).
         ALTER TABLE flows ADD COLUMN answers jsonb;
       )sql"},
      {12, "flow endpoint keys",
       R"sql(
         -- The key pair of the project's number for its flows' data-exchange endpoint
         -- (common/flow_crypto.hpp): made by Paige, the private key sealed, the public key
         -- uploaded to Meta.
         -- A dynamic flow's screens' data, from SQL over the project database
         -- (actors/core/flow_exchange.hpp).
         ALTER TABLE flows ADD COLUMN data_sources jsonb;

         CREATE TABLE flow_keys (
           project_id         text PRIMARY KEY REFERENCES projects (id),
           phone_number_id    text NOT NULL,
           private_key_sealed text NOT NULL,
           public_key         text NOT NULL,
           created_at         timestamptz NOT NULL DEFAULT now()
         );
       )sql"},
      {13, "project secrets",
       R"sql(
         -- Values a project's bot is given (environment variables, the http action's
         -- headers), sealed with the master key; the API shows names and times only.
         CREATE TABLE project_secrets (
           project_id   text NOT NULL REFERENCES projects (id),
           name         text NOT NULL,
           value_sealed text NOT NULL,
           created_at   timestamptz NOT NULL DEFAULT now(),
           updated_at   timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (project_id, name)
         );
       )sql"},
  };
  return list;
}

}  // namespace paige::storage
