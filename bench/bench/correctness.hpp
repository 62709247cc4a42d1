/// @file
/// @brief How paige-bench names its contacts and messages, and how it judges a run: the
/// messages a load sent against what Paige stored and answered. Pure functions, so the judge
/// itself is tested on logs that are wrong.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace paige::bench {

/// The wa_id of a contact of the load: "9", the project in 3 digits, the contact in 7.
std::string wa_id_of(int project, int contact);

/// The project and contact of a wa_id made by wa_id_of; false for any other text.
bool contact_of(const std::string& wa_id, int& project, int& contact);

/// The load's messages are "m<i>" and the echo bot answers "echo: m<i>": the i in `text`
/// after `prefix`, or -1 when the text is not of that form.
int load_index(const std::string& text, const std::string& prefix);

/// One row of a project's `messages`, as stored.
struct stored_message {
  bool inbound = true;
  std::string text;    ///< the text body; empty when the message has none
  std::string status;  ///< outbound: the status it ended with
};

/// A project's message log: per contact wa_id, its messages in the order stored (by id).
using project_log = std::map<std::string, std::vector<stored_message>>;

/// A contact of the load and how many messages it sent.
struct sent_count {
  std::string wa_id;
  int sent = 0;
};

/// What is wrong with a stored log; a correct run has nothing here.
struct log_problems {
  long lost = 0;        ///< a message sent, or its reply, not stored
  long duplicated = 0;  ///< stored more than once
  long reordered = 0;   ///< stored after a later one of the same contact and direction
  long unexpected =
      0;  ///< nobody sent it: an unknown contact, a text not of the load, an index never sent
  std::map<std::string, long>
      wrong_final_status;  ///< replies whose final status is not the expected one

  bool ok() const;
  log_problems& operator+=(const log_problems& other);
};

nlohmann::json to_json(const log_problems& problems);

/// Checks one project's log: for each contact, inbound "m0".."m<sent-1>" each stored once and in
/// order, replies "echo: m0".. likewise, every reply ending in `final_status`; anything else
/// stored is unexpected.
log_problems check_log(const project_log& log, const std::vector<sent_count>& contacts,
                       const std::string& final_status);

}  // namespace paige::bench
