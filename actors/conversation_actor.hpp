/// @file
/// @brief The conversation actor: one per contact with recent activity; the only
/// serialization point for that contact (no locks on the message path).
///
/// For each inbound message, in the order the project actor forwards them: open the
/// contact's conversation once (contact upserted, open conversation found or opened in the
/// bot's initial state), store the message (answered as soon as it is committed, which is
/// what lets the webhook answer 200), then run the bot step on it. Steps run one at a time:
/// a step's effects (state, vars, saved rows, queued outbound messages) commit together with
/// the mark that its message was handled, and only then does the next step start and the
/// outbound messages go to the Meta sync supervisor, which sends them in order. When nothing
/// of the contact is still being stored or stepped (the common case), the step runs as the
/// message arrives and both are stored in one statement (one commit before the reply); the
/// contact's next messages wait in the actor until that committed. A first message (no
/// conversation known here) runs its step from the bot's initial state before the
/// conversation is opened, and the open, the message and the step commit together if the
/// open created the conversation under the name the step saw (else only the open commits
/// and the step runs again on the conversation found). Where the conversation and the front
/// step are at any moment is an explicit phase machine: actors/core/conversation_phases.hpp.
///
/// Protocol (three message shapes: every handler of a behavior costs memory in each of the
/// 100 000s of conversation actors, so the rarer work shares one `conversation_order`):
///   (inbound_atom, inbound_message, bot, paused)  → ok_atom once the message is committed
///   (order_atom, conversation_order), by kind:
///     recover_order(unhandled_row, bot)         — run the step of a message stored before a
///                                                 crash (no reply)
///     operator_send_order(message_json, bot)    → outbound_view (queued): an operator's
///       message, queued in turn with the bot's steps so the two never interleave wrongly;
///       a non-template message outside the 24-hour customer-service window is refused
///       (invalid_argument outside_service_window) before anything is stored or sent.
///     change_state_order(conversation_id, state, who) → std::string (the conversation's JSON):
///       sets the state in turn with the bot's steps (so neither overwrites the other);
///       conflict conversation_closed if it is no longer open. The state is not validated
///       here (the project actor does that against the bot).
///     close_order(conversation_id, who)         → std::string (the conversation's JSON)
///     expire_order(conversation_id, idle_seconds) — closes it if still idle that long
///     opt_out_order(contact_id, opted_out)   → std::string (the contact's JSON): the
///       contact opted out of marketing (or in again) in turn with the bot's steps, so each step
///       after it knows (its marketing templates are not queued); not_found contact_not_found.
///   (atom, int64) signals:
///     (idle_atom, asked_at) from the parent's passivation sweep: answered (idle_atom, wa_id,
///       asked_at) if nothing is in flight; the parent then sends (passivate_atom, 0), and the
///       actor ends, only if it forwarded nothing since `asked_at` (passivation; the state is
///       in the database). The actor keeps no timer of its own: an idle conversation costs
///       only its memory.
///     (retry_atom, 0) from itself, after a step that could not commit.
///   It sends ctx->project (crashed_atom, wa_id) if a handler throws, and then ends.
/// Closing (by the bot, an operator or the timeout) holds back new inbound messages until it
/// committed; they then open a new conversation in the bot's initial state.
///
/// Events (to ctx->events): conversation.opened, message.received, message.queued,
/// conversation.state_changed, conversation.closed, in the order they happened.
#pragma once

#include "actors/core/bot_definition.hpp"
#include "actors/inbound.hpp"
#include "storage/message_log.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace paige::metrics {
class registry;
}
namespace paige::storage {
class backend_watchdog;
}

namespace paige::actors {

class template_shelf;  // actors/template_shelf.hpp
class flow_shelf;      // actors/flow_shelf.hpp

using order_atom = caf::atom_constant<caf::atom("order")>;
using crashed_atom = caf::atom_constant<caf::atom("crashed")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using operator_send_atom = caf::atom_constant<caf::atom("opsend")>;
using change_state_atom = caf::atom_constant<caf::atom("setstate")>;
using close_atom = caf::atom_constant<caf::atom("close")>;

using bot_ptr = std::shared_ptr<const bot::definition>;

/// What every conversation of a project shares.
struct conversation_context {
  std::string project_id;
  caf::actor persistence;  ///< the worker serving this project
  caf::actor meta_sync;    ///< sends outbound messages
  caf::actor bot_caller;   ///< posts events to a code bot
  caf::actor bot_runner;   ///< posts events to a hosted code bot (its process)
  caf::actor bot_queries;  ///< runs a declarative bot's queries (a db_pool)
  std::string conninfo;    ///< the project's database, as its role (the bot's queries)
  storage::backend_watchdog* watchdog = nullptr;  ///< ends queries past their timeouts
  caf::actor events;                              ///< the project's event hub
  caf::actor bot_log;  ///< the project's bot log: each code bot event's record
  caf::actor_addr
      project;  ///< the project actor: told (crashed_atom, wa_id) when a conversation crashes
  metrics::registry* metrics = nullptr;
  std::shared_ptr<const template_shelf> templates;  ///< sends of templates are judged by them
  std::shared_ptr<const flow_shelf> flows;          ///< flow sends resolved, answers stored by them
};

/// How long a bot's query may wait for a connection of the bot query pool: past it, it fails
/// (its step's on_error runs) instead of running late.
inline constexpr std::chrono::seconds bot_query_wait{30};

/// The longest a hosted code bot's event waits for its answer, restarts of its process
/// included (bot_runner.hpp): past it the fallback runs.
inline constexpr std::chrono::minutes hosted_event_wait{4};

/// The 24-hour customer-service window.
inline constexpr double service_window_seconds = 24 * 3600;

/// Whether a message of `type` may go to a contact whose last message was at `last_inbound`
/// (Unix seconds; 0: never) at time `now`: templates always, anything else within 24 hours.
bool within_service_window(const std::string& type, double last_inbound, double now);

/// An outbound message as queued.
struct outbound_view {
  std::int64_t id = 0;
  std::string type;
  std::string content_json;
  std::string created_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbound_view& x) {
  return f(caf::meta::type_name("outbound_view"), x.id, x.type, x.content_json, x.created_at);
}

/// An outbound message to send: its row id and the Cloud API object without "to".
struct outbound_item {
  std::int64_t id = 0;
  std::string content_json;
  bool bulk = false;  ///< a broadcast's: sent when no live reply of the project waits
};

/// Work for a conversation besides inbound messages (see the protocol above).
struct conversation_order {
  enum class kind : std::uint8_t { recover, operator_send, change_state, close, expire, opt_out };
  kind what = kind::recover;
  storage::unhandled_row recovered;  ///< recover: a message stored before a crash, unhandled
  bot_ptr bot;                       ///< recover, operator_send: the project's bot now
  std::string message_json;          ///< operator_send
  std::int64_t conversation_id = 0;  ///< change_state, close, expire
  std::string state;                 ///< change_state
  std::string who;                   ///< change_state, close: for logs and events
  std::int64_t idle_seconds = 0;     ///< expire
  std::int64_t contact_id = 0;       ///< opt_out: the contact (this actor's)
  bool opted_out = false;            ///< opt_out: out (true) or in again
};

conversation_order recover_order(storage::unhandled_row row, bot_ptr bot);
conversation_order operator_send_order(std::string message_json, bot_ptr bot);
conversation_order change_state_order(std::int64_t conversation_id, std::string state,
                                      std::string who);
conversation_order close_order(std::int64_t conversation_id, std::string who);
conversation_order expire_order(std::int64_t conversation_id, std::int64_t idle_seconds);
conversation_order opt_out_order(std::int64_t contact_id, bool opted_out);

/// Spawns the actor of `wa_id`. The caller (its project actor) keeps it alive and stops it;
/// it sends ctx->project (crashed_atom, wa_id) and ends if a handler throws.
caf::actor spawn_conversation(caf::local_actor* parent,
                              std::shared_ptr<const conversation_context> ctx, std::string wa_id);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::bot_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::unhandled_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::conversation_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::outbound_item)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::actors::outbound_item>)
