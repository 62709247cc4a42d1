// The webhook codec on any body: it never throws, and whenever the one-pass reading takes a
// body, it reads it exactly as the document reading (the reference) does.
#include "api/webhook_codec.hpp"
#include "tests/fuzz/fuzz_target.hpp"
#include "tests/support/webhook_outcome.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body{reinterpret_cast<const char*>(data), size};
  auto reference = paige::api::parse_webhook_document(body);
  auto fast = paige::api::scan_webhook(body);
  if (fast)
    paige::fuzz::require(paige::test::outcome(*fast) == paige::test::outcome(reference),
                         "the one-pass reading disagrees with the document reading");
  auto chosen = paige::api::parse_webhook(body);
  paige::fuzz::require(paige::test::outcome(chosen) == paige::test::outcome(reference),
                       "parse_webhook disagrees with the document reading");
  // Whatever is taken can be stored: no NUL reaches Postgres.
  if (auto* events = std::get_if<paige::api::webhook_events>(&chosen))
    for (const auto& n : events->numbers) {
      for (const auto& m : n.messages)
        paige::fuzz::require(m.content_json.find("\\u0000") == std::string::npos &&
                                 m.wamid.find('\0') == std::string::npos &&
                                 m.from.find('\0') == std::string::npos,
                             "a NUL reached an inbound message");
      for (const auto& s : n.statuses)
        paige::fuzz::require(s.errors_json.find("\\u0000") == std::string::npos &&
                                 s.wamid.find('\0') == std::string::npos,
                             "a NUL reached a status");
    }
  return 0;
}
