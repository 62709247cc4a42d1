#include "actors/core/conversation_phases.hpp"

#include <stdexcept>
#include <string>

namespace paige::actors {
namespace {

[[noreturn]] void refuse(const char* transition, conversation_phase c, front_phase f) {
  throw std::logic_error(std::string{"conversation phases: "} + transition + " in " + to_string(c) +
                         "/" + to_string(f));
}

}  // namespace

const char* to_string(conversation_phase p) {
  switch (p) {
    case conversation_phase::none:
      return "none";
    case conversation_phase::opening:
      return "opening";
    case conversation_phase::open:
      return "open";
    case conversation_phase::closing:
      return "closing";
  }
  return "?";
}

const char* to_string(front_phase p) {
  switch (p) {
    case front_phase::idle:
      return "idle";
    case front_phase::running:
      return "running";
    case front_phase::exchanging:
      return "exchanging";
  }
  return "?";
}

void conversation_phases::open_requested() {
  if (conversation_ != conversation_phase::none) refuse("open", conversation_, front_);
  conversation_ = conversation_phase::opening;
}

void conversation_phases::opened(std::int64_t id) {
  if (conversation_ != conversation_phase::opening || id <= 0)
    refuse("opened", conversation_, front_);
  conversation_id_ = id;
  conversation_ = close_when_open_ ? conversation_phase::closing : conversation_phase::open;
  close_when_open_ = false;
}

void conversation_phases::open_failed() {
  if (conversation_ != conversation_phase::opening) refuse("open failed", conversation_, front_);
  conversation_ = conversation_phase::none;
  close_when_open_ = false;
}

void conversation_phases::close_requested() {
  if (conversation_ == conversation_phase::opening && front_ == front_phase::exchanging)
    close_when_open_ = true;
  else if (conversation_ == conversation_phase::open && front_ != front_phase::idle)
    conversation_ = conversation_phase::closing;
  else
    refuse("close", conversation_, front_);
}

void conversation_phases::close_settled(bool closed) {
  if (conversation_ != conversation_phase::closing) refuse("close settled", conversation_, front_);
  if (closed) {
    conversation_ = conversation_phase::none;
    conversation_id_ = 0;
  } else {
    conversation_ = conversation_phase::open;
  }
}

void conversation_phases::step_started() {
  if (front_ != front_phase::idle || conversation_ == conversation_phase::opening)
    refuse("step", conversation_, front_);
  front_ = front_phase::running;
}

void conversation_phases::exchange_started() {
  if (front_ != front_phase::idle || conversation_ != conversation_phase::open)
    refuse("exchange", conversation_, front_);
  front_ = front_phase::exchanging;
}

void conversation_phases::first_started() {
  if (front_ != front_phase::idle || conversation_ != conversation_phase::none)
    refuse("first message", conversation_, front_);
  conversation_ = conversation_phase::opening;
  front_ = front_phase::exchanging;
}

void conversation_phases::first_committed(std::int64_t id, bool held) {
  if (front_ != front_phase::exchanging) refuse("first committed", conversation_, front_);
  if (!held) close_when_open_ = false;  // the step that asked for it did not apply
  opened(id);
  if (!held) front_ = front_phase::idle;
}

void conversation_phases::first_failed() {
  if (front_ != front_phase::exchanging) refuse("first failed", conversation_, front_);
  open_failed();
  front_ = front_phase::idle;
}

void conversation_phases::exchange_committed() {
  if (front_ != front_phase::exchanging) refuse("exchange committed", conversation_, front_);
  front_ = front_phase::running;
}

void conversation_phases::step_finished() {
  if (front_ == front_phase::idle) refuse("step finished", conversation_, front_);
  front_ = front_phase::idle;
}

void conversation_phases::store_finished() {
  if (storing_ == 0) refuse("store finished", conversation_, front_);
  --storing_;
}

}  // namespace paige::actors
