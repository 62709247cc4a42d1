/// @file
/// @brief What Meta's webhooks deliver for one phone number, as the actors receive it.
///
/// A new inbound message kind: read it in api/webhook_codec.cpp, give it its fields here, and
/// let bots match it in actors/core/bot_interpreter.cpp.
#pragma once

#include "actors/core/bot_interpreter.hpp"

#include <caf/meta/type_name.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace paige::actors {

/// One inbound user message (spec/meta-cloud-api.md §3).
struct inbound_message {
  std::string wamid;
  std::string from;          ///< the user's wa_id
  std::string profile_name;  ///< from the envelope's contacts[], may be empty
  std::string type;
  std::string timestamp;     ///< Unix seconds, as Meta sends it
  std::string content_json;  ///< the whole message object, as received
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inbound_message& x) {
  return f(caf::meta::type_name("inbound_message"), x.wamid, x.from, x.profile_name, x.type,
           x.timestamp, x.content_json);
}

/// One status update of an outbound message (sent, delivered, read, failed, ...).
struct status_update {
  std::string wamid;
  std::string status;
  std::string timestamp;
  std::string recipient_id;
  std::string errors_json;  ///< the errors array when failed, else empty
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_update& x) {
  return f(caf::meta::type_name("status_update"), x.wamid, x.status, x.timestamp, x.recipient_id,
           x.errors_json);
}

/// Everything one webhook POST carried for one phone number, in the order received.
struct number_batch {
  std::string phone_number_id;
  std::vector<inbound_message> messages;
  std::vector<status_update> statuses;
  std::vector<std::string> errors_json;  ///< value.errors entries (account/app level)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, number_batch& x) {
  return f(caf::meta::type_name("number_batch"), x.phone_number_id, x.messages, x.statuses,
           x.errors_json);
}

/// One change of a webhook field other than `messages` (account, quality, display-name review,
/// alerts, templates, flows), as Meta sent it; routed to the projects of its WABA.
struct account_change {
  std::string waba_id;     ///< entry.id
  std::string field;       ///< e.g. "account_update"
  std::int64_t time = 0;   ///< entry.time, Unix seconds (0 when Meta sent none)
  std::string value_json;  ///< the change's value, as received (NUL-free)
  std::string dedupe_key;  ///< a hash of all of the above: Meta's redeliveries repeat it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_change& x) {
  return f(caf::meta::type_name("account_change"), x.waba_id, x.field, x.time, x.value_json,
           x.dedupe_key);
}

/// The fields a bot matches on, read from a Cloud API inbound message object.
bot::inbound_view view_of(const std::string& wamid, const nlohmann::json& message);

}  // namespace paige::actors
