/// @file
/// @brief The message log of a project database: contacts, conversations, inbound and
/// outbound messages, statuses. The hot-path writes take a whole batch in one statement
/// (jsonb_to_recordset), so a group commit costs one round trip per kind of write.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace paige::storage {

/// A contact's open conversation, as a conversation actor starts from it.
struct conversation_row {
  std::int64_t contact_id = 0;
  std::int64_t conversation_id = 0;
  std::string contact_name;
  std::string state;
  std::string vars_json;          ///< a JSON object
  std::string last_inbound_at;    ///< ISO 8601, or empty
  double last_inbound_epoch = 0;  ///< the same in Unix seconds; 0: never wrote
  bool opened = false;            ///< this call opened it
  bool opted_out = false;         ///< the contact asked for no marketing messages
};

/// A contact whose open conversation a conversation actor needs.
struct open_row {
  std::string wa_id;
  std::string name;           ///< the profile name Meta sent; empty keeps the stored one
  std::string initial_state;  ///< the bot's initial state, for a conversation opened now
};

/// Inserts each contact not known yet, renames a known one whose given name differs (a known
/// contact is otherwise only read), and returns its open conversation, opening one in
/// `initial_state` if none is open; one statement for the whole batch, rows in the order
/// asked. A batch of known contacts with open conversations writes nothing.
std::vector<conversation_row> open_conversations(pqxx::transaction_base& tx,
                                                 const std::vector<open_row>& rows);

/// open_conversations for one contact.
conversation_row open_conversation(pqxx::transaction_base& tx, const std::string& wa_id,
                                   const std::string& name, const std::string& initial_state);

/// One inbound message to store.
struct inbound_row {
  std::int64_t conversation_id = 0;
  std::int64_t contact_id = 0;
  std::string wamid;
  std::string type;
  std::string content_json;
  double timestamp = 0;  ///< Unix seconds (Meta's), or 0 for "now"
  bool handled = false;  ///< store it as already handled (paused project: no bot step)
};

/// Stores inbound messages; returns each one's row id, or 0 when its wamid was stored before
/// (or earlier in the same batch). Updates the contacts' last_inbound_at and the
/// conversations' last_message_at.
std::vector<std::int64_t> insert_inbound(pqxx::transaction_base& tx,
                                         const std::vector<inbound_row>& rows);

/// The effects of one bot step on one inbound message.
struct step_row {
  std::int64_t message_id = 0;  ///< the inbound row handled by this step
  std::int64_t conversation_id = 0;
  std::int64_t contact_id = 0;
  std::string state;
  std::string vars_json;
  bool close = false;
  std::vector<std::pair<std::string, std::string>>
      outbound;        ///< (type, Cloud API object without "to")
  bool fresh = false;  ///< its message was stored as handled in this transaction (nothing to mark)
};

struct step_outcome {
  bool applied = false;                    ///< false: the message was handled before (nothing done)
  std::vector<std::int64_t> outbound_ids;  ///< the queued outbound rows, in order
};

/// Applies steps whose inbound message is not yet handled: marks it handled, sets the
/// conversation's state and vars (closing it if asked), queues the outbound messages.
std::vector<step_outcome> apply_steps(pqxx::transaction_base& tx,
                                      const std::vector<step_row>& steps);

/// An inbound message and the effects of the bot step it caused (step.message_id unused).
struct exchange_row {
  inbound_row inbound;
  step_row step;
};

/// Stores each inbound message as handled together with its step, in one statement; per row,
/// the message's id and the step's outcome, or (0, not applied) when its wamid was stored
/// before. Rows must be of different conversations.
std::vector<std::pair<std::int64_t, step_outcome>> insert_exchanges(
    pqxx::transaction_base& tx, const std::vector<exchange_row>& rows);

/// Inserts a row into a custom table (bot `save`); identifiers are validated and quoted,
/// values bound as text and cast by Postgres to the column types.
void save_row(pqxx::transaction_base& tx, const std::string& table,
              const std::vector<std::pair<std::string, std::string>>& values);

/// Stores a flow's answer (`values` of a bot::save_op of kind flow_answer: flow_name, flow_id,
/// flow_token, response, wamid), with the answer's message (by its wamid, stored before in the
/// same transaction) and the flow message it answers: the one it replies to (its `context`,
/// an interactive flow message or a template with a flow button), else the latest interactive
/// flow message with its flow_token. An answer delivered again is stored once.
void record_flow_answer(pqxx::transaction_base& tx,
                        const std::vector<std::pair<std::string, std::string>>& values);

/// A flow_token sent to a contact, with its flow.
struct flow_token_row {
  std::string token;
  std::string flow_name;
  std::string wa_id;
};

/// Records the flow tokens of messages queued in the same transaction (a token given twice is
/// kept once).
void record_flow_tokens(pqxx::transaction_base& tx, const std::vector<flow_token_row>& rows);

/// Whether the project sent this flow_token (recorded, or in an interactive flow message sent
/// before tokens were recorded).
bool flow_token_sent(pqxx::transaction_base& tx, const std::string& token);

/// Records on inbound message `id` why it was handled without its bot step (`error_json`:
/// {"code", "message"}).
void mark_skipped(pqxx::transaction_base& tx, std::int64_t id, const std::string& error_json);

/// An outbound message queued by an operator.
struct queued_message {
  std::int64_t id = 0;
  std::string created_at;
};

/// Queues an outbound message (an operator's) in a conversation.
queued_message queue_outbound(pqxx::transaction_base& tx, std::int64_t conversation_id,
                              std::int64_t contact_id, const std::string& type,
                              const std::string& content_json);

/// When the contact last wrote (Unix seconds), 0 if never or unknown; creates nothing.
double last_inbound_of(pqxx::transaction_base& tx, const std::string& wa_id);

/// A message as the API shows it.
struct message_row {
  std::int64_t id = 0;
  std::string wamid;  ///< empty: none yet
  std::string direction;
  std::string type;
  std::string content_json;
  std::string status;
  std::string error_json;                                  ///< empty: none
  std::string created_at, sent_at, delivered_at, read_at;  ///< ISO 8601 or empty
};

/// Up to `limit` messages of a conversation with id < `before_id` (0: from the newest), newest
/// first; nullopt when the conversation does not exist.
std::optional<std::vector<message_row>> conversation_messages(pqxx::transaction_base& tx,
                                                              std::int64_t conversation_id,
                                                              std::int64_t before_id, int limit);

/// An inbound message stored but not handled (a crash came between the two commits).
struct unhandled_row {
  std::int64_t id = 0;
  std::string wa_id;
  std::string contact_name;
  std::string wamid;
  std::string type;
  std::string content_json;
};
std::vector<unhandled_row> unhandled_inbound(pqxx::transaction_base& tx);

/// An outbound message not yet accepted by Meta, to send (again) after a restart.
struct queued_row {
  std::int64_t id = 0;
  std::string wa_id;
  std::string content_json;
  bool bulk = false;  ///< a broadcast's (no conversation): sent after live replies
};
std::vector<queued_row> queued_outbound(pqxx::transaction_base& tx);

/// A message's status as it changed (for live events).
struct status_change {
  std::int64_t message_id = 0;
  std::int64_t conversation_id = 0;
  std::string wamid;
  std::string status;
  std::string error_json;  ///< "" when none
};

/// Meta accepted an outbound message: its row and the wamid Meta gave it.
struct accepted_row {
  std::int64_t message_id = 0;
  std::string wamid;
};

/// Stores the wamids of accepted outbound messages (one statement for the batch) and applies
/// any status that arrived before. Per row, the change if the message exists. Each message's
/// first record only: it resets the message's status to what arrived so far.
std::vector<std::optional<status_change>> record_accepted(pqxx::transaction_base& tx,
                                                          const std::vector<accepted_row>& rows);

/// record_accepted for a record asked again (its first commit may have gone through
/// unconfirmed): nothing changes when the message has its wamid already, so statuses applied
/// meanwhile are never undone.
std::optional<status_change> record_accepted_again(pqxx::transaction_base& tx,
                                                   const accepted_row& row);

/// Meta refused outbound message `id` for good: status failed with the error.
std::optional<status_change> record_failed(pqxx::transaction_base& tx, std::int64_t id,
                                           const std::string& error_json);

/// A status webhook entry.
struct status_row {
  std::string wamid;
  std::string status;
  double timestamp = 0;
  std::string errors_json;  ///< empty when none
};

/// Applies statuses without ever lowering a message's status (failed is terminal); statuses
/// of wamids not stored yet wait in pending_statuses.
std::vector<status_change> apply_statuses(pqxx::transaction_base& tx,
                                          const std::vector<status_row>& statuses);

/// The common writes of one batch of the message path.
struct batch_writes {
  std::vector<exchange_row> exchanges;
  std::vector<accepted_row> accepted;
  std::vector<status_row> statuses;
};

/// What insert_exchanges, record_accepted and apply_statuses would have returned.
struct batch_results {
  std::vector<std::pair<std::int64_t, step_outcome>> exchanges;
  std::vector<std::optional<status_change>> accepted;
  std::vector<status_change> statuses;
};

/// Sets up a connection for the batched writes above: generic plans (each statement planned
/// once per connection, not per call) without hash or merge joins or sequential scans (the
/// planner takes a batch for 100 rows, and a plan that scans a whole table per batch grows
/// with the table), and this session's `pg_temp.paige_write_batch`, which write_batch calls.
/// The session's statements and lock waits time out after `timeout` (whatever the project's
/// role or database set as defaults), and names resolve in pg_catalog first: a project's own
/// schema named like its role ("$user") or functions in public cannot stand in for ours.
/// Once per connection, before any of them.
void set_up_write_session(pqxx::connection_base& conn,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

/// Runs the light-load forms of the hot path (a first message's open, one exchange, one
/// wamid, a few statuses) once on a set-up write session, in a transaction it rolls back:
/// PL/pgSQL compiles the batch function and plans each statement at its first call (about
/// 4 ms per connection), which otherwise the first messages after a start wait for. Leaves
/// no rows; takes a few values of the id sequences (ids have gaps, as after any rollback).
void warm_up_write_session(pqxx::connection_base& conn);

/// Exchanges, then wamids, then statuses (a status sees a wamid recorded before it), in one
/// statement: one round trip that commits on its own, where the three statements in a
/// transaction took five (BEGIN, three, COMMIT).
batch_results write_batch(pqxx::transaction_base& tx, const batch_writes& writes);

}  // namespace paige::storage
