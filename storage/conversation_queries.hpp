/// @file
/// @brief Reads behind the contacts and conversations API, as JSON documents (the shapes of
/// spec/api.md). Keyset pagination on ids, newest first; nothing here writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

/// A page: the items (a JSON array) and the id to continue below (0: last page).
struct page {
  std::string items_json;
  std::int64_t next_before = 0;
};

/// Contacts, newest first; `search` matches a wa_id prefix or part of the name (any case).
page list_contacts(pqxx::transaction_base& tx, const std::string& search, std::int64_t before,
                   int limit);

/// One contact as JSON, if it exists.
std::optional<std::string> get_contact(pqxx::transaction_base& tx, std::int64_t id);

/// Conversations, newest first, optionally of one contact, in some states, with a status.
page list_conversations(pqxx::transaction_base& tx, const std::vector<std::string>& states,
                        const std::string& status, std::int64_t contact_id, std::int64_t before,
                        int limit);

/// One conversation as JSON, if it exists.
std::optional<std::string> get_conversation(pqxx::transaction_base& tx, std::int64_t id);

/// [{"state", "count"}] over open conversations, most used first.
std::string state_counts(pqxx::transaction_base& tx);

/// A contact's messages across its conversations, newest first; nullopt if no such contact.
std::optional<page> contact_messages(pqxx::transaction_base& tx, std::int64_t contact_id,
                                     std::int64_t before, int limit);

}  // namespace paige::storage
