// The bot compiler on any definition, and the interpreter on what it accepts (its queries
// answered in turn with rows, none and a failure): input is a definition (JSON), a 0x01 byte,
// then an inbound text. A compiled bot's step never throws
// anything but step_refused, and never yields more than the limits allow.
#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_interpreter.hpp"
#include "common/text_checks.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <string>

using namespace paige::actors::bot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input{reinterpret_cast<const char*>(data), size};
  auto split = input.find('\x01');
  auto doc = nlohmann::json::parse(input.substr(0, split), nullptr, false);
  if (doc.is_discarded()) return 0;
  static const std::set<std::string> system_tables{"contacts", "conversations", "messages"};
  for (auto mode : {compile_mode::submitted, compile_mode::stored}) {
    auto compiled = compile(doc, system_tables, mode);
    auto* bot = std::get_if<definition>(&compiled);
    if (!bot) continue;
    inbound_view msg;
    msg.type = "text";
    msg.id = "wamid.fuzz";
    msg.text = split == std::string::npos ? std::string{} : input.substr(split + 1);
    // A text reaches a step from a webhook's JSON: always UTF-8.
    if (!paige::text::valid_utf8(msg.text)) return 0;
    msg.button_id = msg.list_id = msg.flow_token = msg.text.substr(0, 64);
    conversation_view conv{"15550001", "Fuzz", "1", bot->initial_state, nlohmann::json::object()};
    for (int step = 0; step < 3; ++step) {
      try {
        // A step's queries get rows made of the text, none, or a failure, in turn.
        std::vector<fetch_result> fetched;
        auto r = run_step(*bot, conv, msg, fetched);
        while (r.fetch) {
          paige::fuzz::require(fetched.size() < max_queries_per_step,
                               "a step asked for more queries than its bound");
          switch (fetched.size() % 3) {
            case 0:
              fetched.push_back({true, {{{"v", msg.text}, {"n", fetched.size()}}}, ""});
              break;
            case 1:
              fetched.push_back({true, nlohmann::json::array(), ""});
              break;
            default:
              fetched.push_back({false, nlohmann::json::array(), msg.text});
          }
          r = run_step(*bot, conv, msg, fetched);
        }
        paige::fuzz::require(bot->states.count(r.state) == 1 || r.state.empty(),
                             "a step left the bot's states");
        paige::fuzz::require(r.vars.dump().size() <= max_vars_bytes, "variables past their bound");
        for (const auto& send : r.sends)
          paige::fuzz::require(send.dump().size() <= max_definition_bytes + max_step_output_bytes,
                               "a send grew past its bound");
        conv.state = r.state;
        conv.vars = r.vars;
      } catch (const step_refused&) {
        break;
      }
    }
  }
  return 0;
}
