// The simulator's webhook bodies written as text.
#include "bench/metasim/webhook_sender.hpp"
#include "api/webhook_codec.hpp"

#include <catch2/catch.hpp>

using paige::metasim::json;
using paige::metasim::webhook_sender;

namespace {
const paige::metasim::number n{"106540352242922", "102290129340398", "15550783881", "Bench",
                               "token"};
}

TEST_CASE("a status webhook written as text is the document envelope() builds", "[unit][metasim]") {
  auto text =
      webhook_sender::status_envelope(n, "wamid.SIM1x2", "delivered", "1750263773", "9001000002");
  auto doc = webhook_sender::envelope(n, {{"statuses",
                                           {{{"id", "wamid.SIM1x2"},
                                             {"status", "delivered"},
                                             {"timestamp", "1750263773"},
                                             {"recipient_id", "9001000002"}}}}});
  CHECK(json::parse(text) == doc);
  auto events = paige::api::scan_webhook(text);  // Paige reads it in one pass
  REQUIRE(events);
  CHECK(events->numbers.at(0).statuses.at(0).status == "delivered");
}

TEST_CASE("a text message webhook written as text is the document envelope() builds",
          "[unit][metasim]") {
  auto text = webhook_sender::text_message_envelope(n, "9001000002", "Bench \"9001000002\"",
                                                    "wamid.B1x2x3", "1750263773", "m3\n");
  auto doc = webhook_sender::envelope(
      n,
      {{"contacts", {{{"profile", {{"name", "Bench \"9001000002\""}}}, {"wa_id", "9001000002"}}}},
       {"messages",
        {{{"from", "9001000002"},
          {"id", "wamid.B1x2x3"},
          {"timestamp", "1750263773"},
          {"type", "text"},
          {"text", {{"body", "m3\n"}}}}}}});
  CHECK(json::parse(text) == doc);
  auto events = paige::api::scan_webhook(text);
  REQUIRE(events);
  CHECK(events->numbers.at(0).messages.at(0).profile_name == "Bench \"9001000002\"");
}
