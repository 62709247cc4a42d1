#include "actors/core/bot_log_filter.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors::bot;
using json = nlohmann::json;

namespace {

json window() {
  return json::parse(R"([
    {"id": "100-1", "type": "bot.process", "data": {"what": "started", "pid": 7}},
    {"id": "100-2", "type": "bot.output", "data": {"pid": 7, "text": "listening \"here\"\n"}},
    {"id": "100-3", "type": "bot.event", "data": {"wa_id": "1555", "status": 200}},
    {"id": "100-4", "type": "bot.output", "data": {"pid": 7, "text": "oops\n"}},
    {"id": "100-5", "type": "bot.event", "data": {"wa_id": "1666", "status": 500}}
  ])");
}

std::vector<std::string> ids(const json& items) {
  std::vector<std::string> out;
  for (const auto& e : items) out.push_back(e["id"]);
  return out;
}

}  // namespace

TEST_CASE("a bot log read picks entries by kind, text and position", "[bot_log]") {
  log_filter all;
  CHECK(ids(filter_log(window(), all)).size() == 5);

  log_filter events;
  REQUIRE_FALSE(read_log_types("event,process", events.types));
  CHECK(ids(filter_log(window(), events)) == std::vector<std::string>{"100-1", "100-3", "100-5"});

  log_filter text;
  text.contains = "listening \"here\"";  // an output's text as written, quotes and all
  CHECK(ids(filter_log(window(), text)) == std::vector<std::string>{"100-2"});
  text.contains = "1666";
  CHECK(ids(filter_log(window(), text)) == std::vector<std::string>{"100-5"});

  log_filter after;
  after.after = "100-3";
  CHECK(ids(filter_log(window(), after)) == std::vector<std::string>{"100-4", "100-5"});
  // An id from before a restart (another epoch) reads everything kept.
  after.after = "99-4";
  CHECK(ids(filter_log(window(), after)).size() == 5);

  log_filter newest;
  newest.limit = 2;
  CHECK(ids(filter_log(window(), newest)) == std::vector<std::string>{"100-4", "100-5"});
}

TEST_CASE("a bot log read refuses unknown kinds", "[bot_log]") {
  std::set<std::string> types;
  CHECK(read_log_types("output", types) == std::nullopt);
  CHECK(types == std::set<std::string>{"bot.output"});
  CHECK(read_log_types("events", types).has_value());
  CHECK(read_log_types("event,", types).has_value());
  CHECK(read_log_types("", types).has_value());
}
