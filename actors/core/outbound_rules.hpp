/// @file
/// @brief Cloud API limits on outbound message objects (spec/meta-cloud-api.md §5), checked
/// before anything reaches Meta: by bot validation and by operator sends.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace paige::actors {

/// One problem in a document, located by its JSON pointer (RFC 6901).
struct problem {
  std::string pointer;
  std::string message;
};

/// Problems of a message object without "to" (type, required fields, lengths, counts), with
/// pointers below `at`.
std::vector<problem> check_outbound_message(const nlohmann::json& msg, const std::string& at = "");

/// Problems of a document as the API lists them: [{"pointer", "message"}...].
nlohmann::json problems_json(const std::vector<problem>& problems);

/// obj[key] by reference (null when obj is not an object or has no such key): never throws, and
/// unlike json::value() never copies, so a pointer into it stays valid.
const nlohmann::json& member_of(const nlohmann::json& obj, const char* key);

/// Escapes a key for use in a JSON pointer.
std::string pointer_escape(const std::string& key);

/// Length in Unicode code points of UTF-8 text: Meta counts characters, not bytes.
std::size_t char_count(const std::string& s);

}  // namespace paige::actors
