/// @file
/// @brief Building Meta webhook envelopes and their signatures in tests.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace paige::test {

/// A `messages` webhook for `phone_number_id` with `value` fields (messages, statuses,
/// contacts, errors) as given.
inline nlohmann::json envelope(const std::string& phone_number_id, nlohmann::json value) {
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", "15550783881"},
                       {"phone_number_id", phone_number_id}};
  return {
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", "102290129340398"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}};
}

/// An inbound text message object.
inline nlohmann::json text_message(const std::string& wamid, const std::string& from,
                                   const std::string& body) {
  return {{"from", from},
          {"id", wamid},
          {"timestamp", "1749416383"},
          {"type", "text"},
          {"text", {{"body", body}}}};
}

}  // namespace paige::test
