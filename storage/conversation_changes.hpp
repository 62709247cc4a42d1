/// @file
/// @brief Operator changes to conversations and the inactivity timeout, in SQL. Each change
/// is conditional on the conversation still being open (and, for the timeout, still idle),
/// so a change that lost a race changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

/// Where a conversation belongs, for routing a change to its contact's actor.
struct conversation_ref {
  std::string wa_id;
  std::string status;  ///< open | closed
  std::string state;
};

std::optional<conversation_ref> find_conversation(pqxx::transaction_base& tx, std::int64_t id);

/// Marks the contact opted out of marketing (broadcasts and marketing templates skip it), or
/// opted in again; false when there is no such contact. Opting out again keeps the first time.
bool set_contact_opt_out(pqxx::transaction_base& tx, std::int64_t contact_id, bool opted_out);

/// The same for the contact of `wa_id` (a bot's opt_out action); a contact it lacks is made.
void set_contact_opt_out(pqxx::transaction_base& tx, const std::string& wa_id, bool opted_out);

/// Whether the contact opted out of marketing.
bool contact_opted_out(pqxx::transaction_base& tx, std::int64_t contact_id);

/// The wa_id of a contact, if there is one with `contact_id`.
std::optional<std::string> contact_wa_id(pqxx::transaction_base& tx, std::int64_t contact_id);

/// Sets the state of an open conversation; its previous state, or nullopt if it is not open.
std::optional<std::string> set_conversation_state(pqxx::transaction_base& tx, std::int64_t id,
                                                  const std::string& state);

/// Closes an open conversation; with `idle_seconds`, only if nothing happened in it for that
/// long. Whether it was closed now.
bool close_conversation(pqxx::transaction_base& tx, std::int64_t id,
                        std::optional<std::int64_t> idle_seconds);

struct idle_conversation {
  std::int64_t id = 0;
  std::string wa_id;
};

/// Open conversations without a message (or, without any, since they started) for
/// `idle_seconds`, oldest first, at most `limit`.
std::vector<idle_conversation> idle_conversations(pqxx::transaction_base& tx,
                                                  std::int64_t idle_seconds, int limit);

}  // namespace paige::storage
