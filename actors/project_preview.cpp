#include "actors/project_preview.hpp"

#include "actors/bot_preview.hpp"
#include "actors/errors.hpp"
#include "actors/project_code_bot.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

namespace paige::actors {

caf::result<std::string> preview_bot(caf::stateful_actor<project_state>* self,
                                     const std::string& definition_json, std::int64_t version,
                                     bot::preview_request request) {
  auto& st = self->state;
  if (!st.pipeline_ready || !st.conversation_ctx)
    return make_error(
        errc::conflict,
        "the project is " + storage::to_string(st.row.status) + ": it cannot run its bot",
        api_code::project_not_ready);
  bot_ptr bot = st.bot;
  if (definition_json.empty()) {
    if (!bot) return make_error(errc::not_found, "the project has no bot", api_code::bot_not_found);
    version = st.bot_version.version;
  } else {
    auto compiled =
        bot::compile(nlohmann::json::parse(definition_json), {}, bot::compile_mode::stored);
    auto* def = std::get_if<bot::definition>(&compiled);
    if (!def)
      return make_error(errc::internal,
                        "version " + std::to_string(version) + " no longer compiles");
    if (def->code) {
      auto target = *def->code;
      target.secret = st.bot_secret;
      def->code = std::make_shared<const bot::code_target>(std::move(target));
    }
    bot = std::make_shared<const bot::definition>(std::move(*def));
  }
  if (request.state && !bot->code && !bot->states.count(*request.state))
    return make_error(
        errc::invalid_argument, "the bot does not declare the state " + *request.state,
        api_code::invalid_preview,
        nlohmann::json{
            {"problems",
             {{{"pointer", "/state"}, {"message", "the bot does not declare this state"}}}}}
            .dump());
  preview_setup setup{st.conversation_ctx, bot, version, std::nullopt, std::move(request)};
  auto rp = self->make_response_promise();
  if (!bot->code || !bot->code->hosted) {
    run_bot_preview(self, std::move(setup), rp);
    return rp;
  }
  if (!st.svc->bot_runner) return make_error(errc::internal, "this server does not host code bots");
  with_hosted_launch(
      self, bot->code->hosted,
      [self, setup, rp](bot_launch launch) mutable {
        setup.launch = std::move(launch);
        run_bot_preview(self, std::move(setup), rp);
      },
      [rp](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

}  // namespace paige::actors
