/// @file
/// @brief The project actor's bot previews (docs/bot-preview.md): which version runs, with what,
/// and the preview's actor started for it (bot_preview.hpp).
#pragma once

#include "actors/bot_runner.hpp"
#include "actors/core/bot_preview.hpp"
#include "actors/project_actor.hpp"

#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace paige::actors {

/// Previews `request` against the bot stored as `definition_json` (version `version`), or the
/// current bot when `definition_json` is empty: the preview as JSON text, or
/// project_not_ready, bot_not_found, invalid_preview (a start state the bot does not declare),
/// bot_not_hosted (a hosted code bot on a server that hosts none).
caf::result<std::string> preview_bot(caf::stateful_actor<project_state>* self,
                                     const std::string& definition_json, std::int64_t version,
                                     bot::preview_request request);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::bot::preview_request)
