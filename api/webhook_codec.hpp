/// @file
/// @brief Meta's webhook POST: signature check and envelope parsing (spec §1.2, §2, §3).
#pragma once

#include "actors/inbound.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace paige::api {

/// Whether `header` (the X-Hub-Signature-256 value, "sha256=<hex>") is the HMAC-SHA256 of the
/// exact `body` bytes under `app_secret`. Compared in constant time.
bool valid_signature(std::string_view app_secret, std::string_view body, std::string_view header);

/// The parsed envelope: one batch per phone number (in order of first appearance), and the
/// changes of other fields (account, quality, name review, alerts, templates, flows).
struct webhook_events {
  std::vector<actors::number_batch> numbers;
  std::vector<actors::account_change> account;
};

/// Deepest nesting of a webhook body. Meta's envelopes reach about 10 levels; a deeper body
/// is refused before it is parsed: copying or printing a message object recurses once per
/// level, and 100 000 levels overflowed the stack.
inline constexpr std::size_t max_webhook_depth = 64;

/// Parses a webhook body. Returns the reason when it is not a Cloud API envelope (not JSON,
/// nested deeper than max_webhook_depth, wrong `object`, `entry`/`changes` not lists, a
/// messages change without a phone_number_id, a message without id/from/type, a status
/// without id/status, a change without a 'field', a change of another field in an entry
/// without its WABA 'id').
std::variant<webhook_events, std::string> parse_webhook(const std::string& body);

/// parse_webhook's fast path: reads a valid envelope of the usual shape in one pass, without
/// a JSON document; nullopt for anything else (invalid, or unusual: a repeated key, a number
/// where a string is usual), which parse_webhook_document then reads.
std::optional<webhook_events> scan_webhook(const std::string& body);

/// The reading through a whole JSON document: the reference scan_webhook must agree with.
std::variant<webhook_events, std::string> parse_webhook_document(const std::string& body);

}  // namespace paige::api
