#include "storage/project_schema.hpp"

namespace paige::storage {

// Migrations 1 to 4 run only on a database its project has not used yet (provisioning comes
// first): they name tables without their schema. Every later one may meet what a project made
// in its database (an operator in public, say) and runs as the admin, so it names everything
// with its schema and runs with search_path "pg_catalog, pg_temp".
const std::vector<migration>& project_migrations() {
  static const std::vector<migration> list{
      {1, "system tables",
       R"sql(
         -- One row per WhatsApp user who wrote to the project's number.
         CREATE TABLE contacts (
           id              bigserial PRIMARY KEY,
           wa_id           text NOT NULL UNIQUE,
           name            text,
           created_at      timestamptz NOT NULL DEFAULT now(),
           updated_at      timestamptz NOT NULL DEFAULT now(),
           last_inbound_at timestamptz          -- drives the 24-hour service window
         );
         CREATE INDEX contacts_newest ON contacts (id DESC);

         -- A session with a contact; at most one open per contact.
         CREATE TABLE conversations (
           id              bigserial PRIMARY KEY,
           contact_id      bigint NOT NULL REFERENCES contacts (id),
           state           text NOT NULL,
           status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
           vars            jsonb NOT NULL DEFAULT '{}',
           started_at      timestamptz NOT NULL DEFAULT now(),
           updated_at      timestamptz NOT NULL DEFAULT now(),
           last_message_at timestamptz,
           closed_at       timestamptz
         );
         CREATE UNIQUE INDEX conversations_one_open ON conversations (contact_id) WHERE status = 'open';
         CREATE INDEX conversations_by_contact ON conversations (contact_id, id DESC);
         CREATE INDEX conversations_by_status_state ON conversations (status, state, id DESC);

         -- Every inbound and outbound message; content is the Cloud API object.
         CREATE TABLE messages (
           id              bigserial PRIMARY KEY,
           conversation_id bigint NOT NULL REFERENCES conversations (id),
           contact_id      bigint NOT NULL REFERENCES contacts (id),
           direction       text NOT NULL CHECK (direction IN ('in', 'out')),
           wamid           text UNIQUE,         -- outbound: set once Meta accepted it
           type            text NOT NULL,
           content         jsonb NOT NULL,
           status          text NOT NULL,
           error           jsonb,
           handled_at      timestamptz,         -- inbound: the bot step that consumed it committed
           created_at      timestamptz NOT NULL DEFAULT now(),
           sent_at         timestamptz,
           delivered_at    timestamptz,
           read_at         timestamptz,
           failed_at       timestamptz
         );
         CREATE INDEX messages_by_conversation ON messages (conversation_id, id DESC);
         CREATE INDEX messages_by_contact ON messages (contact_id, id DESC);
         CREATE INDEX messages_unhandled ON messages (id) WHERE direction = 'in' AND handled_at IS NULL;
         CREATE INDEX messages_outbox ON messages (id) WHERE direction = 'out' AND status = 'queued';
       )sql",
       "public"},
      {2, "status ordering and early statuses",
       R"sql(
         -- How far a message got; a status update never lowers it, and failed is terminal.
         CREATE FUNCTION paige_status_rank(status text) RETURNS integer
           LANGUAGE sql IMMUTABLE AS $$
             SELECT CASE status WHEN 'queued' THEN 0 WHEN 'accepted' THEN 1 WHEN 'sent' THEN 2
                                WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 WHEN 'played' THEN 4
                                WHEN 'failed' THEN 9 ELSE 0 END $$;

         -- Statuses that arrived before Paige recorded the wamid Meta returned for the send
         -- (Meta may post 'sent' before its answer to the send call is committed here).
         CREATE TABLE pending_statuses (
           wamid  text NOT NULL,
           status text NOT NULL,
           ts     timestamptz NOT NULL,
           error  jsonb,
           PRIMARY KEY (wamid, status)
         );
       )sql",
       "public"},
      {3, "statuses update messages in place",
       R"sql(
         -- Every status (sent, delivered, read) rewrites its message. With no index on a
         -- column a status changes, and room left on each page, Postgres updates the row in
         -- place (a HOT update) instead of adding an entry to every index of the table.
         -- A queued message is one without a wamid (Meta's answer sets it).
         DROP INDEX messages_outbox;
         CREATE INDEX messages_outbox ON messages (id) WHERE direction = 'out' AND wamid IS NULL;
         ALTER TABLE messages SET (fillfactor = 80);
       )sql",
       "public"},
      {4, "one index fewer per new contact",
       R"sql(
         -- The primary key already serves newest-first listing (an index scans both ways).
         DROP INDEX contacts_newest;
       )sql",
       "public"},
      {5, "system tables belong to Paige",
       // Runs as the admin. Databases made by earlier builds had their system tables owned by
       // the project's role, which could add triggers, rules, policies, indexes and
       // constraints to them (a trigger sleeping in the message pipeline's writes stalled
       // every project of its worker). What it added is dropped, ownership moves to the
       // admin, and the status function is written anew. Only catalog-qualified calls and
       // statements that run none of the project's code: the admin may be a superuser.
       R"sql(
         DO $paige$
         DECLARE
           t text;
           r record;
           ours text[] := ARRAY['contacts_pkey', 'contacts_wa_id_key', 'conversations_pkey',
             'conversations_one_open', 'conversations_by_contact', 'conversations_by_status_state',
             'messages_pkey', 'messages_wamid_key', 'messages_by_conversation', 'messages_by_contact',
             'messages_unhandled', 'messages_outbox', 'pending_statuses_pkey',
             'conversations_contact_id_fkey', 'conversations_status_check', 'messages_conversation_id_fkey',
             'messages_contact_id_fkey', 'messages_direction_check'];
         BEGIN
           FOREACH t IN ARRAY ARRAY['contacts', 'conversations', 'messages', 'pending_statuses'] LOOP
             FOR r IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
                      WHERE tg.tgrelid = pg_catalog.to_regclass('public.' || t) AND NOT tg.tgisinternal LOOP
               EXECUTE 'DROP TRIGGER ' || pg_catalog.quote_ident(r.tgname) || ' ON public.' || pg_catalog.quote_ident(t);
             END LOOP;
             FOR r IN SELECT rw.rulename FROM pg_catalog.pg_rewrite rw
                      WHERE rw.ev_class = pg_catalog.to_regclass('public.' || t) LOOP
               EXECUTE 'DROP RULE ' || pg_catalog.quote_ident(r.rulename) || ' ON public.' || pg_catalog.quote_ident(t);
             END LOOP;
             FOR r IN SELECT po.polname FROM pg_catalog.pg_policy po
                      WHERE po.polrelid = pg_catalog.to_regclass('public.' || t) LOOP
               EXECUTE 'DROP POLICY ' || pg_catalog.quote_ident(r.polname) || ' ON public.' || pg_catalog.quote_ident(t);
             END LOOP;
             FOR r IN SELECT co.conname FROM pg_catalog.pg_constraint co
                      WHERE co.conrelid = pg_catalog.to_regclass('public.' || t) AND co.conname <> ALL (ours) LOOP
               EXECUTE 'ALTER TABLE public.' || pg_catalog.quote_ident(t) || ' DROP CONSTRAINT ' ||
                       pg_catalog.quote_ident(r.conname) || ' CASCADE';
             END LOOP;
             FOR r IN SELECT ic.relname FROM pg_catalog.pg_index ix
                      JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
                      WHERE ix.indrelid = pg_catalog.to_regclass('public.' || t) AND ic.relname <> ALL (ours) LOOP
               EXECUTE 'DROP INDEX IF EXISTS public.' || pg_catalog.quote_ident(r.relname) || ' CASCADE';
             END LOOP;
             EXECUTE 'ALTER TABLE public.' || pg_catalog.quote_ident(t) ||
                     ' DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY, OWNER TO CURRENT_USER';
           END LOOP;
         END $paige$;
         CREATE OR REPLACE FUNCTION public.paige_status_rank(status text) RETURNS integer
           LANGUAGE sql IMMUTABLE AS $$
             SELECT CASE status WHEN 'queued' THEN 0 WHEN 'accepted' THEN 1 WHEN 'sent' THEN 2
                                WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 WHEN 'played' THEN 4
                                WHEN 'failed' THEN 9 ELSE 0 END $$;
         ALTER FUNCTION public.paige_status_rank(text) OWNER TO CURRENT_USER;
       )sql",
       "pg_catalog, pg_temp"},
      {6, "opt-out and broadcasts",
       // Runs as the admin, like 5: everything named with its schema.
       R"sql(
         -- A contact who asked for no marketing: broadcasts and marketing templates skip them.
         ALTER TABLE public.contacts ADD COLUMN opted_out_at timestamptz;

         -- A broadcast's messages belong to no conversation (the contact may have none open).
         ALTER TABLE public.messages ALTER COLUMN conversation_id DROP NOT NULL;

         -- A template sent to an audience (storage/broadcasts.hpp).
         CREATE TABLE public.broadcasts (
           id              bigserial PRIMARY KEY,
           name            text NOT NULL DEFAULT '',
           template        jsonb NOT NULL,  -- {"name", "language", "category"}
           components      jsonb NOT NULL,  -- the send's components; {"column"} values per row
           audience        jsonb NOT NULL,
           status          text NOT NULL CHECK (status IN ('scheduled', 'running', 'paused',
                                                           'completed', 'cancelled', 'failed')),
           status_detail   text NOT NULL DEFAULT '',
           schedule_at     timestamptz,
           audience_after  text NOT NULL DEFAULT '',  -- where reading the audience stopped
           audience_done   boolean NOT NULL DEFAULT false,
           recipients      bigint NOT NULL DEFAULT 0,
           created_at      timestamptz NOT NULL DEFAULT now(),
           started_at      timestamptz,
           finished_at     timestamptz,
           updated_at      timestamptz NOT NULL DEFAULT now()
         );

         -- Each recipient once; its message (queued with it, in one transaction) carries the
         -- send's status.
         CREATE TABLE public.broadcast_recipients (
           broadcast_id bigint NOT NULL REFERENCES public.broadcasts (id),
           seq          bigint NOT NULL,
           wa_id        text NOT NULL,
           fields       jsonb NOT NULL DEFAULT '{}',  -- the audience row's columns it uses
           status       text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'queued', 'skipped')),
           skip_reason  text,
           message_id   bigint REFERENCES public.messages (id),
           PRIMARY KEY (broadcast_id, wa_id)
         );
         CREATE INDEX broadcast_recipients_pending
           ON public.broadcast_recipients (broadcast_id, seq) WHERE status = 'pending';
         CREATE INDEX broadcast_recipients_by_seq ON public.broadcast_recipients (broadcast_id, seq);
         CREATE INDEX broadcast_recipients_message ON public.broadcast_recipients (message_id);
       )sql",
       "pg_catalog, pg_temp"},
      {7, "flow answers",
       // Runs as the admin, like 5: everything named with its schema.
       R"sql(
         -- The answers of the project's WhatsApp Flows (storage/message_log.hpp), each with
         -- the message that brought it and the flow message it answers.
         CREATE TABLE public.flow_answers (
           id              bigserial PRIMARY KEY,
           flow_name       text NOT NULL,
           flow_id         text NOT NULL,
           flow_token      text NOT NULL,
           response        jsonb NOT NULL,
           message_id      bigint NOT NULL REFERENCES public.messages (id),
           send_id         bigint REFERENCES public.messages (id),
           contact_id      bigint REFERENCES public.contacts (id),
           conversation_id bigint REFERENCES public.conversations (id),
           created_at      timestamptz NOT NULL DEFAULT now()
         );
         CREATE UNIQUE INDEX flow_answers_message ON public.flow_answers (message_id);
         CREATE INDEX flow_answers_by_flow ON public.flow_answers (flow_name, id);

         -- A flow message by its token (an answer finds the send it answers).
         CREATE INDEX messages_flow_token
           ON public.messages ((content->'interactive'->'action'->'parameters'->>'flow_token'))
           WHERE direction = 'out' AND type = 'interactive';
       )sql",
       "pg_catalog, pg_temp"},
      {8, "flow tokens",
       R"sql(
         -- Every flow_token the project sent, in an interactive flow message or a template's
         -- flow button (actors/core/flow_send.hpp): the data-exchange endpoint opens sessions
         -- only for these. Written with the message that carries it.
         CREATE TABLE public.flow_tokens (
           token      text PRIMARY KEY,
           flow_name  text NOT NULL,
           wa_id      text NOT NULL,
           created_at timestamptz NOT NULL DEFAULT now()
         );
       )sql",
       "pg_catalog, pg_temp"},
  };
  return list;
}

const std::vector<std::string>& system_table_names() {
  static const std::vector<std::string> names{"contacts",
                                              "conversations",
                                              "messages",
                                              legacy_migrations_table,
                                              "pending_statuses",
                                              "broadcasts",
                                              "broadcast_recipients",
                                              "flow_answers",
                                              "flow_tokens"};
  return names;
}

const std::vector<std::string>& pipeline_table_names() {
  static const std::vector<std::string> names{
      "contacts",   "conversations",        "messages",     "pending_statuses",
      "broadcasts", "broadcast_recipients", "flow_answers", "flow_tokens"};
  return names;
}

}  // namespace paige::storage
