/// @file
/// @brief A bot preview's run (docs/bot-preview.md): one short-lived actor per
/// `POST .../bot/preview` runs its messages, one after another, against a version of the
/// project's bot, for a sandbox contact kept in memory. Queries and requests run as in a live
/// step; a code bot gets each event (marked `preview`) from the bot caller, or from the bot
/// runner for a hosted version; each step's writes run in a transaction that is rolled back.
/// Nothing reaches WhatsApp, the conversations or the rows.
#pragma once

#include "actors/bot_runner.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_preview.hpp"

#include <caf/fwd.hpp>
#include <caf/response_promise.hpp>

#include <cstdint>
#include <memory>
#include <optional>

namespace paige::actors {

/// What a preview runs, and with what.
struct preview_setup {
  /// The project's conversations' context: its id, database (as its role), bot query pool,
  /// bot caller and runner, and the project actor (its requests' secrets).
  std::shared_ptr<const conversation_context> ctx;
  std::shared_ptr<const bot::definition> bot;  ///< a code bot's target holds its secret
  std::int64_t version = 0;
  std::optional<bot_launch> launch;  ///< a hosted code bot's version
  bot::preview_request request;
};

/// Spawns the preview's actor; `rp` gets the preview as JSON text
/// ({version, kind, contact, steps, state, vars}) once every message ran.
void run_bot_preview(caf::local_actor* parent, preview_setup setup, caf::response_promise rp);

}  // namespace paige::actors
