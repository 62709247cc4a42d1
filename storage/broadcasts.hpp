/// @file
/// @brief Broadcasts in the project database: a template sent to an audience, whose recipients
/// are read from the audience in batches (resuming where the last batch stopped), each queued
/// once with its message in one transaction, and whose progress is read from those messages.
/// Run inside transactions connected as the project's role.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

struct broadcast_row {
  std::int64_t id = 0;
  std::string name;
  std::string template_json;    ///< {"name", "language", "category"}
  std::string components_json;  ///< the send's components, {"column": c} values per recipient
  std::string audience_json;    ///< as given, but a list of wa_ids as {"wa_ids_count": n}
  std::string status;           ///< scheduled, running, paused, completed, cancelled, failed
  std::string status_detail;
  std::string schedule_at;          ///< ISO 8601, or ""
  std::int64_t schedule_epoch = 0;  ///< Unix seconds, 0: none
  std::string audience_after;       ///< where reading the audience stopped
  bool audience_done = false;
  std::int64_t recipients = 0;  ///< read from the audience so far
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  std::string updated_at;
};

/// Stores a new broadcast (scheduled when `schedule_epoch` > 0, else running); its id.
std::int64_t insert_broadcast(pqxx::transaction_base& tx, const std::string& name,
                              const std::string& template_json, const std::string& components_json,
                              const std::string& audience_json, std::int64_t schedule_epoch);

std::optional<broadcast_row> find_broadcast(pqxx::transaction_base& tx, std::int64_t id);

/// The same without its audience (audience_json empty), for a runner's rounds.
std::optional<broadcast_row> find_broadcast_to_run(pqxx::transaction_base& tx, std::int64_t id);

/// Newest first, with id < `before` (0: from the newest); at most `limit`.
std::vector<broadcast_row> list_broadcasts(pqxx::transaction_base& tx, std::int64_t before,
                                           int limit);

/// Those to run or wake (scheduled, running), oldest first.
std::vector<broadcast_row> live_broadcasts(pqxx::transaction_base& tx);

/// Moves the broadcast to `to` (with `detail`) if its status is one of `from`; false if not.
bool move_broadcast(pqxx::transaction_base& tx, std::int64_t id,
                    const std::vector<std::string>& from, const std::string& to,
                    const std::string& detail = "");

/// One audience row: its WhatsApp id (digits, or "" when its phone is not one) and the
/// columns its components use, as text.
struct audience_row {
  std::string key;  ///< the position it was read at (for resuming)
  std::string wa_id;
  std::string fields_json;  ///< {"column": "value"}
};

/// Reads up to `limit` rows of the broadcast's audience after `after` (its audience as
/// checked by actors/core/broadcast_rules.hpp; `columns`: those the components use).
std::vector<audience_row> read_audience(pqxx::transaction_base& tx, std::int64_t broadcast_id,
                                        const std::vector<std::string>& columns,
                                        const std::string& after, int limit);

/// How many recipients the audience has now (contacts opted out of marketing included).
std::int64_t count_audience(pqxx::transaction_base& tx, const std::string& audience_json);

/// Adds the rows as recipients (each wa_id once: a repeat is kept out) and moves the reading
/// position to the last row's key; `done` marks the audience read whole. Rows without a
/// wa_id are recipients skipped as invalid_phone.
void add_recipients(pqxx::transaction_base& tx, std::int64_t broadcast_id,
                    const std::vector<audience_row>& rows, bool done);

/// A recipient waiting to be queued.
struct pending_recipient {
  std::string wa_id;
  std::string fields_json;
  bool opted_out = false;  ///< the contact asked for no marketing
};

/// Up to `limit` pending recipients in audience order.
std::vector<pending_recipient> pending_recipients(pqxx::transaction_base& tx,
                                                  std::int64_t broadcast_id, int limit);

/// A recipient's message to queue (content: the Cloud API object without "to").
struct recipient_send {
  std::string wa_id;
  std::string content_json;
};

/// A recipient queued: its message's id.
struct queued_recipient {
  std::int64_t message_id = 0;
  std::string wa_id;
  std::string content_json;
};

/// Queues `sends` (each recipient's contact made if new, its message stored queued without a
/// conversation, the recipient marked queued with it) and marks `skipped` (wa_id, reason).
std::vector<queued_recipient> queue_recipients(
    pqxx::transaction_base& tx, std::int64_t broadcast_id, const std::vector<recipient_send>& sends,
    const std::vector<std::pair<std::string, std::string>>& skipped);

/// Contacts the project's broadcasts sent to in the last 24 hours (Meta's messaging limit
/// counts unique users a day).
std::int64_t broadcast_contacts_today(pqxx::transaction_base& tx);

/// Sets what the broadcast waits for ("" : nothing).
void set_broadcast_detail(pqxx::transaction_base& tx, std::int64_t id, const std::string& detail);

/// Messages of this broadcast not yet answered by Meta.
std::int64_t broadcast_unanswered(pqxx::transaction_base& tx, std::int64_t broadcast_id);

/// {"total", "pending", "skipped", "queued", "sent", "delivered", "read", "failed",
///  "failed_by_code": {"<code>": n}} as JSON text.
std::string broadcast_progress(pqxx::transaction_base& tx, std::int64_t broadcast_id);

/// Recipients in audience order after `after_seq`, of `status` when not empty (pending,
/// skipped, queued, sent, delivered, read, failed): {"items": [{"wa_id", "status",
/// "skip_reason", "message_id", "error", "seq"}], ...} as a JSON array text; at most `limit`.
std::string broadcast_recipients(pqxx::transaction_base& tx, std::int64_t broadcast_id,
                                 const std::string& status, std::int64_t after_seq, int limit);

}  // namespace paige::storage
