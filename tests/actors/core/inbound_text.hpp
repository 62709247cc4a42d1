/// @file
/// @brief A contact's text message as the bot interpreter sees it, for the core tests.
#pragma once

#include "actors/core/bot_interpreter.hpp"

#include <string>

namespace paige::actors::test {

inline bot::inbound_view text(const std::string& body) {
  bot::inbound_view m;
  m.type = "text";
  m.text = body;
  m.id = "wamid.1";
  return m;
}

}  // namespace paige::actors::test
