/// @file
/// @brief Reads behind the contacts and conversations API, as JSON documents (the shapes of
/// spec/api.md). Keyset pagination on ids, newest first; nothing here writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
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

/// Conversations, newest first, optionally of one contact, in some states, with a status,
/// of contacts that `search` finds (as list_contacts does).
page list_conversations(pqxx::transaction_base& tx, const std::vector<std::string>& states,
                        const std::string& status, std::int64_t contact_id,
                        const std::string& search, std::int64_t before, int limit);

/// One conversation as JSON, if it exists.
std::optional<std::string> get_conversation(pqxx::transaction_base& tx, std::int64_t id);

/// [{"state", "count"}] over open conversations, most used first.
std::string state_counts(pqxx::transaction_base& tx);

/// A contact's messages across its conversations, newest first; nullopt if no such contact.
std::optional<page> contact_messages(pqxx::transaction_base& tx, std::int64_t contact_id,
                                     std::int64_t before, int limit);

/// A flow's answers, newest first (flow_answers_read).
page list_flow_answers(pqxx::transaction_base& tx, const std::string& flow_name,
                       std::int64_t before, int limit);

// -- the reads as values: the API builds one, the project's persistence worker runs it ---

/// Where a list read starts (ids below `before`; 0: the newest) and how much it returns.
struct page_request {
  int limit = 50;
  std::int64_t before = 0;
};
struct contacts_read {
  std::string search;
  page_request page;
};
struct contact_read {
  std::int64_t id = 0;
};
struct contact_conversations_read {
  std::int64_t contact_id = 0;
  page_request page;
};
struct contact_messages_read {
  std::int64_t contact_id = 0;
  page_request page;
};
struct conversation_states_read {};
struct conversations_read {
  std::vector<std::string> states;  ///< any of these (none: all)
  std::string status;               ///< "open", "closed" or "" (both)
  page_request page;
  std::string search;  ///< the contact's wa_id prefix or part of its name ("": all)
};
struct conversation_read {
  std::int64_t id = 0;
};
/// A flow's answers, newest first: [{"id", "flow_name", "flow_token", "response", "contact":
/// {"id", "wa_id", "name"}, "conversation_id", "message_id", "send_id", "created_at"}].
struct flow_answers_read {
  std::string flow_name;
  page_request page;
};
using project_read = std::variant<contacts_read, contact_read, contact_conversations_read,
                                  contact_messages_read, conversation_states_read,
                                  conversations_read, conversation_read, flow_answers_read>;

/// What a read found.
struct read_result {
  bool found = false;  ///< false: the contact or conversation the read names does not exist
  std::string json;    ///< the document, or a page's items (a JSON array)
  std::int64_t next_before = 0;  ///< a page: the id to continue below (0: last page)
};

/// Runs `read` in `tx`.
read_result run_read(pqxx::transaction_base& tx, const project_read& read);

}  // namespace paige::storage
