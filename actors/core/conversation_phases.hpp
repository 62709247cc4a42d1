/// @file
/// @brief Where a conversation actor is with its contact's conversation and with its front step:
/// the phase machine, without actors or a database (the actor drives it; tests drive it alone).
///
/// Two phases, each an enum, and the count of inbound messages stored without a step:
///   conversation: none → opening → open → closing → none | open
///     none      no open conversation known here (the first message, or it closed)
///     opening   an open (or a first message that opens it) is being committed
///     open      steps run in it
///     closing   a close is being committed; new inbound messages wait for it
///   front step: idle → running | exchanging → idle
///     running     the front step (a bot step, an operator's message or a change) is committing
///     exchanging  it commits together with its inbound message; later messages wait behind it
/// A step that closes the conversation while it is still being opened (a first message's step)
/// closes it as soon as it is open. A transition the machine does not allow throws
/// std::logic_error: a bug, which ends the actor (its state is in the database).
#pragma once

#include <cstdint>

namespace paige::actors {

enum class conversation_phase : std::uint8_t { none, opening, open, closing };
enum class front_phase : std::uint8_t { idle, running, exchanging };

const char* to_string(conversation_phase p);
const char* to_string(front_phase p);

class conversation_phases {
 public:
  conversation_phase conversation() const { return conversation_; }
  front_phase front() const { return front_; }
  /// The open (or closing) conversation; 0 when none is known.
  std::int64_t conversation_id() const { return conversation_id_; }
  /// Inbound messages being stored without their steps (which follow).
  std::uint32_t storing() const { return storing_; }

  bool is_open() const { return conversation_ == conversation_phase::open; }
  /// Nothing is being committed for this contact (queues aside: the actor adds those).
  bool settled() const {
    return front_ == front_phase::idle && conversation_ != conversation_phase::opening &&
           storing_ == 0;
  }

  // -- the conversation --------------------------------------------------------------------
  /// none → opening: an open is sent.
  void open_requested();
  /// opening → open (or closing, if its first step closes it): `id` is open in the database.
  void opened(std::int64_t id);
  /// opening → none: nothing was opened.
  void open_failed();
  /// A step asked to close the conversation: open → closing; while opening, once it is open.
  void close_requested();
  /// closing → none (`closed`) or open (the close did not happen).
  void close_settled(bool closed);

  // -- the front step ------------------------------------------------------------------------
  /// idle → running: the front step starts.
  void step_started();
  /// idle → exchanging: the front step starts together with its inbound message (the
  /// conversation is open).
  void exchange_started();
  /// none → opening and idle → exchanging: a first message, its step and the open that makes
  /// its conversation, in one commit.
  void first_started();
  /// A first message committed: with its step (`held`; the step settles next), or only the open
  /// (the database knew another conversation or name: the step did not apply and is dropped).
  void first_committed(std::int64_t id, bool held);
  /// Nothing of a first message was committed.
  void first_failed();
  /// exchanging → running: the inbound message committed with the step (which settles next).
  void exchange_committed();
  /// running | exchanging → idle: the front step is done (committed, refused or failed).
  void step_finished();

  // -- inbound messages stored without their step ---------------------------------------------
  void store_started() { ++storing_; }
  void store_finished();

 private:
  conversation_phase conversation_ = conversation_phase::none;
  front_phase front_ = front_phase::idle;
  bool close_when_open_ = false;
  std::int64_t conversation_id_ = 0;
  std::uint32_t storing_ = 0;
};

}  // namespace paige::actors
