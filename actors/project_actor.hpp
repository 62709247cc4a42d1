/// @file
/// @brief The project actor: one per project, owner of its lifecycle state machine.
///
/// States: provisioning → active ⇄ paused; failed (with a status_detail); deleting → deleted.
/// Every transition is written to the control database before anyone sees it: a request that
/// changes the project waits (await) for its write, so requests to one project are strictly
/// serialized. On start it resumes unfinished work: a project still `provisioning` is
/// provisioned (the steps are idempotent), one `deleting` is dropped.
///
/// Protocol (dynamically typed; replies or caf::error with an API code):
///   (get_atom)                        → project_info
///   (update_atom, project_patch)      → project_info   | conflict project_deleting
///   (pause_atom)                      → project_info   | conflict project_not_active
///   (resume_atom)                     → project_info   | conflict project_not_paused
///   (remove_atom)                     → project_info (deleting) | conflict project_provisioning
///   (conninfo_atom)                   → std::string (the project role's connection string)
///   (bot_get_atom)                    → bot_info
///   (bot_put_atom, definition_json)   → bot_info (a new version) | invalid_argument invalid_bot
///   (bot_preview_atom, definition_json, version, bot::preview_request) → std::string: the
///                                       preview's steps (project_preview.hpp)
///   (profile_get_atom)                → std::string: the number's business profile (JSON), from
///                                       Meta | conflict whatsapp_not_connected | Graph errors
///   (profile_set_atom, patch_json)    → std::string: the profile after a checked change
///   (photo_atom, bytes, mime)         → std::string: the profile after its photo was set (a
///                                       checked JPEG or PNG) | the profile's errors |
///                                       conflict app_id_not_configured
///   (token_works_atom, token) — from meta_sync: Meta took a send with this token; a refusal
///                                       stored earlier (before a restart) is cleared
///   (token_invalid_atom, token, error_json) — from meta_sync: Meta refused the number's token;
///                                       stored (whatsapp.status token_invalid) and published,
///                                       unless the number has another token by now
///   (account_events_atom, std::vector<account_change>, batch_ack) — no reply: Meta's changes of
///                                       the account (quality, bans, restrictions, name review,
///                                       alerts, templates, flows) recorded once each, the
///                                       number's health updated and published; the ack once
///                                       committed (account_events.hpp)
///   (account_refused_atom, error_json) — from meta_sync: a send refused for the account; the
///                                       number's sends are held until the refusal's retry time
///   (health_check_atom)               — a hold's end is due: the health is judged again
///   (display_name_atom, name)         → std::string (the whatsapp view): Meta reviews the name
///                                       | conflict whatsapp_not_connected | Graph errors
///   (connect_atom, phone_number_id, waba_id, access_token, pin)
///                                     → project_info: its WhatsApp account actor onboards the
///                                       number (whatsapp_account.hpp); then webhooks of that
///                                       number are routed here and its sends start
///                                     | conflict project_deleting | the account actor's errors
///   (signup_atom, code, waba_id, phone_number_id, pin, redirect_uri) → project_info: the embedded
///   signup
///                                       (whatsapp_account.hpp), not holding this actor's other
///                                       messages; the project shows whatsapp.signup meanwhile
///                                       | conflict project_deleting | busy (one at a time) |
///                                       the account actor's errors. A signup a crash
///                                       interrupted is resumed when the project starts.
///   (webhook_atom, number_batch, batch_ack) — no reply: the ack is called ok once every
///                                       message and status is committed (messages go to their
///                                       contact's conversation actor), else with why not
///                                       (db_unavailable when the project cannot store now)
///   (subscribe_atom, last_event_id, conversation_filter, event_sink) → ok_atom: live events
///                                       (see event_hub.hpp)
///   (change_state_atom, conversation_id, state, force, who) → std::string (conversation JSON)
///                                     | invalid_argument unknown_state (a state the bot does
///                                       not declare, unless force) | not_found
///                                       conversation_not_found | conflict conversation_closed
///   (close_atom, conversation_id, who) → std::string (conversation JSON; closing a closed
///                                       conversation changes nothing)
///   (operator_send_atom, wa_id, message_json) → outbound_view: an operator's message to a
///                                       contact, queued behind its conversation's steps
///                                     | conflict project_not_ready | conversation's errors
///   (operator_send_atom, conversation_id, message_json) → outbound_view: the same, to the
///                                       contact of an open conversation | not_found
///                                       conversation_not_found
///   (database_atom, storage::database_request, storage::database_rules)
///                                     → storage::database_outcome: run on the database-API pool
///                                       as the project's role, under its quota | conflict
///                                       project_not_ready | busy (429) | timeout
///   (query_atom, storage::project_read) → storage::read_result: a read of the contacts and
///                                       conversations API, on the project's persistence worker
///                                     | conflict project_not_ready
///   (messages_atom, conversation_id, before, limit) → std::vector<storage::message_row>
///                                     | not_found conversation_not_found
///   (caf::tick_atom) — start the pipeline again after it failed to start (every second)
///   (upgrade_atom) — provision an older-layout project database again (start_upgrade)
///   from meta_sync: (record_atom, message_id, wamid, again) | (record_atom, message_id,
///   status_job)
///                  → ok_atom: a send's outcome stored and its status published (or the
///                  error; meta_sync asks again until it is recorded)
///   from its persistence worker: (reconnected_atom, project_id) — the outbox is read again
///   (sweep_atom) — closes conversations idle longer than conversation_timeout_seconds, through
///                  their conversation actors; runs every services.sweep_interval
///   (idle_atom) — the passivation sweep, every quarter of services.conversation_idle
///   from conversations: (idle_atom, wa_id, asked_at), (crashed_atom, wa_id) — see
///                  conversation_registry.hpp
///   from the provisioner: (provisioned_atom), (prov_failed_atom, reason), (deprovisioned_atom)
/// It quits normally once deleted; its supervisor (the directory) restarts it otherwise.
#pragma once

#include "actors/batch_ack.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/conversation_registry.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/core/read_tickets.hpp"
#include "actors/event_hub.hpp"
#include "actors/flow_shelf.hpp"
#include "actors/project_types.hpp"
#include "actors/template_shelf.hpp"
#include "actors/whatsapp_account.hpp"
#include "storage/conversation_changes.hpp"

#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace paige::actors {

using conninfo_atom = caf::atom_constant<caf::atom("conninfo")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// The project actor's state.
struct project_state {
  static constexpr const char* name = "project";
  storage::project_row row;
  services_ptr svc;
  std::chrono::steady_clock::time_point provisioning_since;
  /// The status this actor counts in paige_projects; shared with its exit hook, which runs
  /// when the state may already be gone.
  std::shared_ptr<std::string> counted = std::make_shared<std::string>();
  /// The current bot: its stored version and its compiled form (null if it no longer compiles).
  storage::bot_row bot_version;
  bool profile_busy = false;          ///< a profile read or change is with the account actor
  bool signup_busy = false;           ///< an embedded signup is with the account actor
  core::read_tickets whatsapp_reads;  ///< reads of row.whatsapp_json (show_whatsapp)
  std::uint64_t refusal_seq = 0;      ///< meta_sync's last refusal of sends for the account
  std::int64_t health_check_at = 0;   ///< when the armed health check fires (Unix s; 0: none)
  std::shared_ptr<const bot::definition> bot;
  /// Signs events to a code bot (secret_rules.hpp's bot_secret_name); empty until one is made.
  std::string bot_secret;
  /// The connected WhatsApp number, if any (its token stays sealed until used).
  std::optional<storage::number_row> number;
  /// The project's live conversation actors; shared with the exit hook, which stops them.
  std::shared_ptr<conversation_registry> conversations;
  whatsapp_account account;  ///< speaks to Meta about the account (linked: ends with this actor)
  std::shared_ptr<const conversation_context> conversation_ctx;
  bool pipeline_ready = false;      ///< the database is registered and recovery dispatched
  bool upgrading = false;           ///< an older layout's database is being provisioned again
  bool outbox_reading = false;      ///< the outbox is being read (see resync_outbox)
  bool outbox_again = false;        ///< and is to be read once more after
  int outbox_failures = 0;          ///< reads that failed in a row (the next waits longer)
  bool outbox_retry_armed = false;  ///< a read again after a failure is scheduled
  caf::actor events;                ///< the project's event hub (live as long as this actor)
  /// The project's bot log (an event hub too): code bots' events, hosted processes' output.
  caf::actor bot_log;
  /// The project's flows for its sends and answers (shared with its conversation actors).
  std::shared_ptr<flow_shelf> flows = std::make_shared<flow_shelf>();
  std::uint64_t flows_loads = 0;  ///< reads of the stored flows begun (a later one wins)
  /// The number's private key for the flows' data-exchange endpoint, unsealed once read.
  std::string flow_private_pem;
  /// The project's templates for its sends (shared with its conversation actors).
  std::shared_ptr<template_shelf> templates = std::make_shared<template_shelf>();
  bool templates_syncing = false;     ///< Meta's list is being read
  bool templates_sync_armed = false;  ///< the periodic read is scheduled
  /// Who asked for a read of Meta's list: those of the running read, those of the next.
  std::vector<caf::typed_response_promise<std::string>> syncs_running, syncs_next;
  bool templates_sync_again = false;  ///< a webhook asked for a read while one ran
  /// Numbers of the shelf's changes (reads of the stored templates when they begin, changes put
  /// on it), and the newest on it: a read begun before a change was put on the shelf is read
  /// again rather than put.
  std::uint64_t templates_loads = 0, templates_shown = 0;
  /// The runners of running broadcasts, by broadcast id (project_broadcasts.hpp).
  std::map<std::int64_t, caf::actor> broadcast_runners;
};

/// Reads of the project's whatsapp view from the control database end in any order (its pool
/// has several connections); the view shown is from the read asked last. Else a signup's step
/// read late would hide the step stored after it.
inline std::uint64_t whatsapp_ticket(project_state& st) { return st.whatsapp_reads.ask(); }
inline void show_whatsapp(project_state& st, std::uint64_t ticket, std::string view) {
  if (st.whatsapp_reads.take(ticket)) st.row.whatsapp_json = std::move(view);
}

/// The project database's connection string, as the project's role.
std::string project_conninfo_of(const project_state& st);

/// The actor's behavior; spawn it with the stored row and the shared services.
caf::behavior project_actor(caf::stateful_actor<project_state>* self, storage::project_row row,
                            services_ptr services);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::idle_conversation>)
