#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_interpreter.hpp"

#include "tests/actors/core/problems.hpp"

#include "tests/actors/core/inbound_text.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using json = nlohmann::json;
using paige::actors::test::has_problem;
using paige::actors::test::text;

namespace {

const std::set<std::string> system_tables{"contacts", "conversations", "messages"};

definition compiled(const json& doc) {
  auto r = compile(doc, system_tables);
  if (auto* problems = std::get_if<std::vector<problem>>(&r)) {
    for (const auto& p : *problems) UNSCOPED_INFO(p.pointer << ": " << p.message);
    FAIL("definition did not compile");
  }
  return std::get<definition>(r);
}

std::vector<problem> problems_of(const json& doc) {
  auto r = compile(doc, system_tables);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  return std::get<std::vector<problem>>(r);
}

inbound_view button(const std::string& id, const std::string& title) {
  inbound_view m;
  m.type = "interactive";
  m.button_id = id;
  m.text = title;
  return m;
}

}  // namespace

TEST_CASE("the starter bot walks through every state", "[bot]") {
  auto bot = compiled(starter_bot());
  conversation_view conv{"15550001", "Ada", "7", bot.initial_state, json::object()};

  auto hello = run_step(bot, conv, text("hello"));
  CHECK(hello.matched);
  CHECK(hello.state == "unstructured");
  REQUIRE(hello.sends.size() == 1);
  CHECK(hello.sends[0]["interactive"]["body"]["text"] == "Hi Ada! How can I help?");
  CHECK(hello.sends[0]["interactive"]["action"]["buttons"][0]["reply"]["id"] == "book");

  // Tapping "Book" (title "Book") enters the send state ask_name, which moves on to collect_info.
  auto book = run_step(bot, conv, button("book", "Book"));
  CHECK(book.state == "collect_info");
  REQUIRE(book.sends.size() == 1);
  CHECK(book.sends[0] == json{{"type", "text"}, {"text", {{"body", "What's your name?"}}}});

  conv.state = book.state;
  auto name = run_step(bot, conv, text("Grace"));
  CHECK(name.state == "unstructured");
  CHECK(name.vars == json{{"name", "Grace"}});
  REQUIRE(name.sends.size() == 1);
  CHECK(name.sends[0]["text"]["body"] == "Thanks, Grace!");

  conv.state = "unstructured";
  auto support = run_step(bot, conv, button("support", "Support"));
  CHECK(support.state == "support");
  CHECK(support.sends.empty());
  conv.state = "support";
  auto later = run_step(bot, conv, text("anyone?"));
  REQUIRE(later.sends.size() == 1);
  CHECK(later.sends[0]["text"]["body"] == "A teammate will answer soon.");

  // A typed "  BOOK now" also matches the case-insensitive regex.
  conv.state = "unstructured";
  CHECK(run_step(bot, conv, text("  BOOK now")).state == "collect_info");
  // collect_info only accepts text.
  conv.state = "collect_info";
  inbound_view image;
  image.type = "image";
  auto ignored = run_step(bot, conv, image);
  CHECK_FALSE(ignored.matched);
  CHECK(ignored.state == "collect_info");
  CHECK(ignored.sends.empty());
}

TEST_CASE("the echo bot echoes", "[bot]") {
  auto bot = compiled(echo_bot());
  auto r = run_step(bot, {"1", "", "1", "unstructured", json::object()}, text("ping 42"));
  REQUIRE(r.sends.size() == 1);
  CHECK(r.sends[0]["text"]["body"] == "echo: ping 42");
}

TEST_CASE("interpolated values are data, never templates or SQL", "[bot]") {
  auto bot = compiled(echo_bot());
  auto r = run_step(bot, {"1", "{{vars.secret}}", "1", "unstructured", json{{"secret", "s3"}}},
                    text("{{contact.name}} '; drop table contacts; --"));
  CHECK(r.sends[0]["text"]["body"] == "echo: {{contact.name}} '; drop table contacts; --");
  conversation_view conv{"1", "N", "9", "s", json{{"n", 3}}};
  CHECK(interpolate("{{ vars.n }}|{{vars.missing}}|{{nope}}|{{conversation.id}}|{{message.id}}",
                    conv, text("x"), "s", conv.vars) == "3|||9|wamid.1");
  CHECK(interpolate("unclosed {{message.text", conv, text("x"), "s", conv.vars) ==
        "unclosed {{message.text");
}

TEST_CASE("matchers", "[bot]") {
  auto m = [](json when) {
    auto doc = json::parse(
        R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [{"then": []}]}}})");
    doc["states"]["a"]["routes"][0]["when"] = when;
    return compiled(doc).states.at("a").routes.at(0).when;
  };
  CHECK(matches(m({{"text_equals", " Yes "}}), text("yes")));
  CHECK(matches(m({{"text_equals", "yes"}}), text("  YES ")));
  CHECK_FALSE(matches(m({{"text_equals", "yes"}}), text("yes please")));
  CHECK(matches(m({{"text_matches", "^\\d{3}$"}}), text("123")));
  CHECK_FALSE(matches(m({{"text_matches", "^\\d{3}$"}}), text("1234")));
  CHECK(matches(m({{"list_id", "row_2"}}), [] {
    inbound_view v;
    v.type = "interactive";
    v.list_id = "row_2";
    return v;
  }()));
  CHECK_FALSE(matches(m({{"button_id", "row_2"}}), [] {
    inbound_view v;
    v.list_id = "row_2";
    return v;
  }()));
  CHECK(matches(m({{"type", "location"}}), [] {
    inbound_view v;
    v.type = "location";
    return v;
  }()));
  inbound_view flow;
  flow.type = "interactive";
  flow.flow_token = "signup:abc";
  CHECK(matches(m({{"flow", "signup"}}), flow));
  CHECK_FALSE(matches(m({{"flow", "sign"}}), flow));
}

TEST_CASE("set, save, close and flow fields", "[bot]") {
  auto bot = compiled(json::parse(R"({
    "initial_state": "a",
    "states": {"a": {"kind": "await", "routes": [{"when": {"flow": "signup"}, "then": [
      {"set": {"email": "{{flow.email}}", "state_was": "{{conversation.state}}"}},
      {"save": {"table": "leads", "values": {"email": "{{flow.email}}", "wa_id": "{{contact.wa_id}}"}}},
      {"close": {}}]}]}}})"));
  inbound_view m;
  m.type = "interactive";
  m.flow_token = "signup";
  m.flow = {{"email", "a@b.c"}, {"flow_token", "signup"}};
  auto r = run_step(bot, {"155", "", "1", "a", json::object()}, m);
  CHECK(r.close);
  CHECK(r.vars == json{{"email", "a@b.c"}, {"state_was", "a"}});
  REQUIRE(r.saves.size() == 1);
  CHECK(r.saves[0].table == "leads");
  CHECK(r.saves[0].values ==
        std::vector<std::pair<std::string, std::string>>{{"email", "a@b.c"}, {"wa_id", "155"}});
}

TEST_CASE("opt_out marks the contact out of marketing, or in again", "[bot]") {
  auto bot = compiled(json::parse(R"({
    "initial_state": "a",
    "states": {"a": {"kind": "await", "routes": [
      {"when": {"text_equals": "stop"}, "then": [{"opt_out": true}]},
      {"when": {"text_equals": "start"}, "then": [{"opt_out": false}]}]}}})"));
  auto out = run_step(bot, {"155", "", "1", "a", json::object()}, text("STOP"));
  REQUIRE(out.saves.size() == 1);
  CHECK(out.saves[0].what == save_op::kind::opt_out);
  CHECK(out.saves[0].opted_out);
  CHECK(out.saves[0].wa_id == "155");
  auto in = run_step(bot, {"155", "", "1", "a", json::object()}, text("start"));
  REQUIRE(in.saves.size() == 1);
  CHECK_FALSE(in.saves[0].opted_out);
  auto ps = problems_of(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await",
    "routes": [{"when": "always", "then": [{"opt_out": "yes"}]}]}}})"));
  CHECK(has_problem(ps, "/states/a/routes/0/then/0/opt_out", "true"));
}

TEST_CASE("a conversation in a state the bot no longer has starts over", "[bot]") {
  auto bot = compiled(starter_bot());
  auto r = run_step(bot, {"1", "Ada", "1", "removed_state", json::object()}, text("hi"));
  CHECK(r.state == "unstructured");
  CHECK(r.sends.size() == 1);
}

TEST_CASE("chained send states run in order", "[bot]") {
  auto bot = compiled(json::parse(R"({
    "initial_state": "a",
    "states": {
      "a": {"kind": "await", "routes": [{"when": "always", "then": [{"goto": "s1"}]}]},
      "s1": {"kind": "send", "then": [{"send": {"type": "text", "text": {"body": "one"}}}, {"goto": "s2"}], "next": "a"},
      "s2": {"kind": "send", "then": [{"send": {"type": "text", "text": {"body": "two"}}}], "next": "b"},
      "b": {"kind": "await", "routes": []}}})"));
  auto r = run_step(bot, {"1", "", "1", "a", json::object()}, text("go"));
  CHECK(r.state == "b");
  REQUIRE(r.sends.size() == 2);
  CHECK(r.sends[0]["text"]["body"] == "one");
  CHECK(r.sends[1]["text"]["body"] == "two");
  // A message arriving while in a send state triggers its entry.
  auto entry = run_step(bot, {"1", "", "1", "s2", json::object()}, text("x"));
  CHECK(entry.state == "b");
  CHECK(entry.sends.size() == 1);
}

TEST_CASE("invalid definitions list every problem with its JSON pointer", "[bot]") {
  auto ps = problems_of(json::parse(R"({
    "initial_state": "nowhere",
    "colour": "red",
    "states": {
      "a": {"kind": "await", "routes": [
        {"when": {"text_matches": "(unclosed"}, "then": [{"goto": "b"}]},
        {"when": {"smells_like": "x"}, "then": []},
        {"when": "always", "then": [
          {"send": {"type": "interactive", "interactive": {"type": "button", "body": {"text": "pick"},
            "action": {"buttons": [
              {"type": "reply", "reply": {"id": "1", "title": "one"}},
              {"type": "reply", "reply": {"id": "2", "title": "two"}},
              {"type": "reply", "reply": {"id": "3", "title": "three"}},
              {"type": "reply", "reply": {"id": "4", "title": "a title longer than twenty"}}]}}}},
          {"save": {"table": "contacts", "values": {"x": "y"}}},
          {"teleport": "a"}]}]},
      "s": {"kind": "send", "then": [], "next": "s"},
      "w": {"kind": "wait"}
    }})"));
  CHECK(has_problem(ps, "/colour", "unknown key"));
  CHECK(has_problem(ps, "/states/a/routes/0/when/text_matches", "invalid regular expression"));
  CHECK(has_problem(ps, "/states/a/routes/1/when/smells_like", "unknown matcher"));
  CHECK(has_problem(ps, "/states/a/routes/2/then/0/send/interactive/action/buttons", "at most 3"));
  CHECK(has_problem(ps, "/states/a/routes/2/then/0/send/interactive/action/buttons/3/reply/title",
                    "longer than 20"));
  CHECK(has_problem(ps, "/states/a/routes/2/then/1/save/table", "system table"));
  CHECK(has_problem(ps, "/states/a/routes/2/then/2/teleport", "unknown action"));
  CHECK(has_problem(ps, "/states/w/kind", "'await' or 'send'"));

  // References are checked once the structure is sound.
  auto refs = problems_of(json::parse(R"({
    "initial_state": "nowhere",
    "states": {
      "a": {"kind": "await", "routes": [{"when": "always", "then": [{"goto": "b"}]}]},
      "s": {"kind": "send", "then": [], "next": "s"}}})"));
  CHECK(has_problem(refs, "/initial_state", "unknown state 'nowhere'"));
  CHECK(has_problem(refs, "/states/a/routes/0/then/0/goto", "unknown state 'b'"));
  CHECK(has_problem(refs, "/states/s/next", "must name an await state"));
}

TEST_CASE("send-state loops and over-long chains are refused", "[bot]") {
  auto loop = problems_of(json::parse(R"({"initial_state": "a", "states": {
      "a": {"kind": "await", "routes": []},
      "x": {"kind": "send", "then": [{"goto": "y"}], "next": "a"},
      "y": {"kind": "send", "then": [{"goto": "x"}], "next": "a"}}})"));
  CHECK(has_problem(loop, "/states/x", "loop"));
  json chain = {{"initial_state", "a"},
                {"states", {{"a", {{"kind", "await"}, {"routes", json::array()}}}}}};
  for (int i = 0; i < 20; ++i)
    chain["states"]["s" + std::to_string(i)] = {
        {"kind", "send"},
        {"then", i < 19 ? json{{{"goto", "s" + std::to_string(i + 1)}}} : json::array()},
        {"next", "a"}};
  CHECK(has_problem(problems_of(chain), "/states/s0", "more than 16"));
}

TEST_CASE("outbound messages are checked against the Cloud API limits", "[bot]") {
  CHECK(check_outbound_message({{"type", "text"}, {"text", {{"body", "hi"}}}}).empty());
  CHECK_FALSE(
      check_outbound_message({{"type", "text"}, {"text", {{"body", std::string(4097, 'x')}}}})
          .empty());
  CHECK_FALSE(check_outbound_message({{"type", "text"}, {"text", {{"body", ""}}}}).empty());
  CHECK_FALSE(
      check_outbound_message({{"type", "text"}, {"to", "1"}, {"text", {{"body", "x"}}}}).empty());
  CHECK_FALSE(check_outbound_message({{"type", "hologram"}}).empty());
  CHECK_FALSE(check_outbound_message({{"type", "image"}, {"image", json::object()}}).empty());
  CHECK(check_outbound_message({{"type", "image"}, {"image", {{"link", "https://x/y.png"}}}})
            .empty());
  CHECK(check_outbound_message({{"type", "template"},
                                {"template", {{"name", "hello"}, {"language", {{"code", "en"}}}}}})
            .empty());
  json list = {
      {"type", "interactive"},
      {"interactive",
       {{"type", "list"},
        {"body", {{"text", "pick"}}},
        {"action",
         {{"button", "Menu"}, {"sections", {{{"title", "s"}, {"rows", json::array()}}}}}}}}};
  for (int i = 0; i < 11; ++i)
    list["interactive"]["action"]["sections"][0]["rows"].push_back(
        {{"id", std::to_string(i)}, {"title", "r"}});
  auto ps = check_outbound_message(list);
  CHECK(has_problem(ps, "/interactive/action/sections", "at most 10 rows"));
}

namespace {

json one_route(const json& when, const json& then = json::array()) {
  auto doc =
      json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [{}]}}})");
  doc["states"]["a"]["routes"][0] = {{"when", when}, {"then", then}};
  return doc;
}

}  // namespace

TEST_CASE("patterns match in linear time, however long the text", "[bot][limits]") {
  // std::regex recursed once per character here (a stack overflow at about 60 000) and
  // backtracked exponentially on nested quantifiers.
  auto starter = compiled(starter_bot());
  conversation_view conv{"15550001", "Ada", "7", starter.initial_state, json::object()};
  auto spaces = run_step(starter, conv, text(std::string(65536, ' ') + "x"));
  CHECK(spaces.matched);
  CHECK(spaces.sends.size() == 1);  // the greeting: not a booking
  auto booking = run_step(starter, conv, text(std::string(60000, ' ') + "Book"));
  CHECK(booking.state == "collect_info");

  auto nested = compiled(one_route({{"text_matches", "(a+)+$"}}, json::array({{{"goto", "a"}}})));
  CHECK_FALSE(
      matches(nested.states.at("a").routes.at(0).when, text(std::string(30000, 'a') + "!")));
  CHECK(matches(nested.states.at("a").routes.at(0).when, text(std::string(30000, 'a'))));
  auto groups = compiled(one_route({{"text_matches", "((((((x*)*)*)*)*)*)y"}}));
  CHECK_FALSE(matches(groups.states.at("a").routes.at(0).when, text(std::string(1000, 'x'))));
}

TEST_CASE("patterns are RE2 syntax, bounded in size and complexity", "[bot][limits]") {
  CHECK(matches(
      compiled(one_route({{"text_matches", "(?i)^\\s*book"}})).states.at("a").routes.at(0).when,
      text("  BOOK a table")));
  // RE2 has no backreferences or lookaround: refused with the pointer and RE2's reason.
  CHECK(has_problem(problems_of(one_route({{"text_matches", "(a)\\1"}})),
                    "/states/a/routes/0/when/text_matches",
                    "invalid regular expression (RE2 syntax)"));
  CHECK(has_problem(problems_of(one_route({{"text_matches", "a(?=b)"}})),
                    "/states/a/routes/0/when/text_matches", "invalid regular expression"));
  CHECK(has_problem(
      problems_of(one_route({{"text_matches", std::string(max_pattern_bytes + 1, 'a')}})),
      "/states/a/routes/0/when/text_matches", "at most 1000"));
  CHECK(has_problem(problems_of(one_route({{"text_matches", "[ab]*a[ab]{300}c"}})),
                    "/states/a/routes/0/when/text_matches", "too complex"));
  // Several patterns of one state add up.
  auto doc = one_route({{"text_matches", "[ab]*a[ab]{150}c"}});
  for (int i = 0; i < 3; ++i)
    doc["states"]["a"]["routes"].push_back(
        {{"when", {{"text_matches", "[ab]*a[ab]{150}c"}}}, {"then", json::array()}});
  CHECK(has_problem(problems_of(doc), "/states/a/routes", "too complex together"));
}

TEST_CASE("a stored version keeps working when this build refuses one of its patterns",
          "[bot][limits]") {
  auto doc = one_route({{"text_matches", "(a)\\1"}}, json::array({{{"goto", "a"}}}));
  doc["states"]["a"]["routes"].push_back(
      {{"when", "always"}, {"then", json::array({{{"set", {{"hit", "yes"}}}}})}});
  auto r = compile(doc, system_tables, compile_mode::stored);
  REQUIRE(std::holds_alternative<definition>(r));
  auto step = run_step(std::get<definition>(r), {"1", "", "7", "a", json::object()}, text("aa"));
  CHECK(step.vars["hit"] == "yes");  // the refused pattern never matches; the next route runs
}

TEST_CASE("definitions are bounded in size, states and routes", "[bot][limits]") {
  auto big =
      one_route("always", json::array({{{"send", {{"type", "text"}, {"text", {{"body", "x"}}}}}}}));
  big["states"]["a"]["routes"][0]["then"][0]["send"]["text"]["body"] =
      std::string(max_definition_bytes, 'x');
  CHECK(has_problem(problems_of(big), "", "at most 262144"));
  auto many_states = json::parse(R"({"initial_state": "s0", "states": {}})");
  for (std::size_t i = 0; i <= max_states; ++i)
    many_states["states"]["s" + std::to_string(i)] = {{"kind", "await"}, {"routes", json::array()}};
  CHECK(has_problem(problems_of(many_states), "/states", "at most 500"));
  auto many_routes = one_route("always");
  for (std::size_t i = 0; i < max_routes_per_state; ++i)
    many_routes["states"]["a"]["routes"].push_back({{"when", "always"}, {"then", json::array()}});
  CHECK(has_problem(problems_of(many_routes), "/states/a/routes", "at most 100"));
}

TEST_CASE("interpolated values and variables are bounded", "[bot][limits]") {
  // A variable that doubles itself on every message: bounded at once, never 209 MB.
  auto doubling = compiled(one_route(
      "always", json::array({{{"set", {{"x", "{{vars.x}}{{vars.x}}{{message.text}}"}}}}})));
  conversation_view conv{"1", "", "7", "a", json::object()};
  auto filled = interpolate("{{message.text}}{{message.text}}", conv, text(std::string(40000, 'y')),
                            "a", json::object());
  CHECK(filled.size() == max_interpolated_bytes);
  // Cut on a character boundary: a 3-byte character straddling the limit is left out whole.
  auto euros = interpolate("{{message.text}}", conv,
                           text("x" +
                                [] {
                                  std::string s;
                                  for (int i = 0; i < 30000; ++i) s += "\xE2\x82\xAC";
                                  return s;
                                }()),
                           "a", json::object());
  CHECK(euros.size() == 1 + 3 * ((max_interpolated_bytes - 1) / 3));
  json vars = json::object();
  int steps = 0;
  try {
    for (; steps < 100; ++steps) {
      conv.vars = vars;
      vars = run_step(doubling, conv, text(std::string(1000, 'z'))).vars;
      REQUIRE(vars.dump().size() <= max_vars_bytes);
    }
    FAIL("the variables were never refused");
  } catch (const step_refused& e) {
    CHECK(e.code == "vars_too_large");
  }
  CHECK(steps < 10);
}

TEST_CASE("what one step interpolates is bounded in all", "[bot][limits]") {
  // Thousands of templates, each within its own bound, would add up to a gigabyte.
  json body = json::object();
  for (int i = 0; i < 40; ++i) body["k" + std::to_string(i)] = "{{message.text}}";
  auto doc = one_route("always", json::array({{{"set", body}}}));
  auto bot = compiled(doc);
  conversation_view conv{"1", "", "7", "a", json::object()};
  try {
    run_step(bot, conv, text(std::string(60000, 'z')));
    FAIL("the step was not refused");
  } catch (const step_refused& e) {
    CHECK(e.code == "output_too_large");
  }
  CHECK_NOTHROW(run_step(bot, conv, text("short")));
}

TEST_CASE("outbound messages of any shape are checked without a throw", "[bot][outbound]") {
  // Found by fuzzing: {"type": "button", "type": {...}} (the last key wins) threw out of the
  // check, and the API answered 500.
  for (
      const char* text :
      {R"({"type": "interactive", "interactive": {"type": {"text": "x"}}})",
       R"({"type": "interactive", "interactive": {"type": "button", "header": "h", "body": 5,
                               "action": "buttons"}})",
       R"({"type": "interactive", "interactive": {"type": "button",
                               "action": {"buttons": [7, {"reply": 3}, {"reply": {"id": {}, "title": []}}]}}})",
       R"({"type": "interactive", "interactive": {"type": "list", "action": {"sections": [1, {"rows": 2}]}}})",
       R"({"type": "interactive", "interactive": {"type": "list", "action": 9}})",
       R"({"type": "template", "template": []})", R"({"type": "location", "location": "here"})",
       R"({"type": "reaction", "reaction": 1})", R"({"type": "image", "image": []})"}) {
    INFO(text);
    std::vector<problem> problems;
    CHECK_NOTHROW(problems = check_outbound_message(json::parse(text), "/m"));
    CHECK_FALSE(problems.empty());
  }
}
