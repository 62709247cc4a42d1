/// @file
/// @brief The starter code bot's (runtime/bot-templates/starter-node) collect_info walk, as its
/// tests drive it, whether Paige hosts it or the test runs it.
#pragma once

#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

namespace paige::test {

/// Contact `wa` (Ana) greets the bot, asks to leave details, gives a name, a bad email, then a
/// good one: five replies, each checked.
inline void walk_starter_collect_info(pipeline& p, const std::string& wa) {
  p.say(wa, "hello", "Ana");
  CHECK(body_of(p.replies(wa, 1)[0]) == "Hi Ana! How can I help?");
  p.send(wa, tap("collect_info", "Leave my details"));
  CHECK(body_of(p.replies(wa, 2)[1]) == "What's your name?");
  p.say(wa, "Ana Lima");
  CHECK(body_of(p.replies(wa, 3)[2]) == "Thanks, Ana Lima! And your email?");
  p.say(wa, "nope");
  CHECK(body_of(p.replies(wa, 4)[3]) == "That doesn't look like an email. Try again?");
  p.say(wa, "ana@example.com");
  CHECK(body_of(p.replies(wa, 5)[4]) == "Thanks, Ana Lima! We'll be in touch at ana@example.com.");
}

}  // namespace paige::test
