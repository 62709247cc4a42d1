/// @file
/// @brief What the simulator knows: numbers, what users and the business exchanged, faults.
/// Thread-safe: every member function takes the lock.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace paige::metasim {

using json = nlohmann::json;

/// A business phone number as the Graph API knows it.
struct number {
  std::string phone_number_id;
  std::string waba_id;
  std::string display_phone_number;
  std::string verified_name;
  std::string access_token;
  bool registered = false;
  bool subscribed = false;
  json profile = json::object();  ///< its business profile, as Meta keeps it
  std::string quality_rating = "GREEN";
  int register_calls = 0;
  std::string requested_name{};    ///< the display name last asked for
  std::string flows_public_key{};  ///< for its flows' data-exchange endpoint (PEM)
  /// How Meta decides a requested display name: {"decision", "rejection_reason"?, "delay_ms"}.
  json name_review = {{"decision", "APPROVED"}, {"delay_ms", 100}};
};

json to_json(const number& n);

/// One recorded exchange between a user and the business.
struct record {
  std::uint64_t seq = 0;
  std::string phone_number_id;
  std::string wa_id;
  std::string direction;  ///< "in" (user → business), "out" (business → user), "status", "read"
  std::string wamid;
  json message;   ///< the inbound object, the outbound request, or {"status": ...}
  double at = 0;  ///< Unix seconds
};

/// Fault injection; all off by default.
struct faults {
  double error_rate = 0;      ///< share of sends answered with error_code
  long error_code = 500;      ///< 500 (plain HTTP 500) or a Meta code (130429, 131047, ...)
  long latency_ms = 0;        ///< added to every Graph answer
  double duplicate_rate = 0;  ///< share of webhooks delivered twice
  std::vector<std::string> statuses{"sent", "delivered",
                                    "read"};     ///< sent for each accepted message
  std::map<std::string, long> recipient_errors;  ///< wa_id → code, for every send to that user
  std::map<long, double> error_mix;              ///< code → share of sends failing with it
  long upload_error = 0;  ///< a Meta code every Resumable Upload call answers (0: none)
  std::map<std::string, long> number_latency_ms;  ///< phone_number_id → added latency
};

json to_json(const faults& f);
/// Reads the fields present in `j` into `f`; throws std::invalid_argument on bad types.
void apply_faults(faults& f, const json& j);

class sim_state {
 public:
  explicit sim_state(std::uint64_t seed);

  void put_number(number n);
  std::optional<number> find_number(const std::string& phone_number_id) const;
  std::vector<number> numbers() const;
  /// A number of a WABA: the one whose token is `token` if there is one, else the first.
  std::optional<number> find_waba(const std::string& waba_id, const std::string& token = {}) const;
  void mark_registered(const std::string& phone_number_id);
  /// Changes a number in place; false when there is no such number.
  bool update_number(const std::string& phone_number_id, const std::function<void(number&)>& f);
  void mark_subscribed(const std::string& waba_id);
  /// Merges `fields` into the number's business profile.
  void update_profile(const std::string& phone_number_id, const json& fields);

  /// A new message id, unique across simulator runs too (Paige keeps the ids it saw: a
  /// restarted simulator must not reuse them, or Paige takes new messages for duplicates).
  std::string next_wamid();

  /// Appends a record (seq assigned) and wakes waiters.
  std::uint64_t add(record r);
  /// Records of a number (and user, if not empty) after `after_seq`.
  std::vector<record> records(const std::string& phone_number_id, const std::string& wa_id,
                              std::uint64_t after_seq) const;
  /// The newest record's seq (0: none yet).
  std::uint64_t last_seq() const;

  /// A new single-use signup code for the number.
  std::string issue_code(const std::string& phone_number_id);
  /// The number a code was issued for, once: a code redeemed before, or unknown, gives nullopt.
  std::optional<std::string> redeem_code(const std::string& code);
  /// How signups go: {"phone_number_id"?, "refuse"?: "exchange"|"scope"|"register"}.
  json signup_config() const;
  void set_signup_config(json config);

  /// A Resumable Upload session for `length` bytes of `type`; its id ("upload:...").
  std::string new_upload(std::size_t length, const std::string& type);
  /// The handle of a session's bytes once all `length` came; nullopt for an unknown session or
  /// the wrong length.
  std::optional<std::string> finish_upload(const std::string& id, std::size_t received);
  /// Whether a handle came from a finished upload.
  bool known_handle(const std::string& handle) const;

  /// Message templates as Meta keeps them (`{"id", "name", "language", "status", "category",
  /// "parameter_format", "components", "waba_id", "rejected_reason"?, "quality_score"?}`).
  /// Stores a new one (PENDING, a new id); the stored object.
  json add_template(const std::string& waba_id, json t);
  std::optional<json> find_template(const std::string& id) const;
  std::optional<json> find_template(const std::string& waba_id, const std::string& name,
                                    const std::string& language) const;
  std::vector<json> templates(const std::string& waba_id) const;
  /// Changes a template in place; false when there is no such template.
  bool update_template(const std::string& id, const std::function<void(json&)>& f);
  /// Removes the WABA's templates named `name` (of id `id` only, when not empty): those removed.
  std::vector<json> remove_templates(const std::string& waba_id, const std::string& name,
                                     const std::string& id);
  /// How Meta reviews templates: {"decision", "reason"?, "delay_ms", "rules": [{"match",
  /// "decision", "reason"?}]} (a rule applies to names containing its match).
  json template_review() const;
  void set_template_review(json review);

  /// WhatsApp Flows as Meta keeps them (`{"id", "name", "status", "categories", "waba_id",
  /// "flow_json"?: text, "validation_errors", "endpoint_uri"?}`). Stores a new one (DRAFT, a new
  /// id); the stored object.
  json add_flow(const std::string& waba_id, json f);
  std::optional<json> find_flow(const std::string& id) const;
  std::vector<json> flows(const std::string& waba_id) const;
  /// Changes a flow in place; false when there is no such flow.
  bool update_flow(const std::string& id, const std::function<void(json&)>& f);
  bool remove_flow(const std::string& id);
  /// Problems Meta finds beyond the rules Paige checks too: {"rules": [{"match", "error",
  /// "message", "path"}]} (a rule applies to a Flow JSON whose text contains its match).
  json flow_validation() const;
  void set_flow_validation(json rules);

  faults get_faults() const;
  /// The faults in force, shared rather than copied (read on every send and status).
  std::shared_ptr<const faults> current_faults() const;
  void set_faults(faults f);
  /// The error code a send draws from error_rate/error_code and error_mix (0: none).
  long draw_error(const faults& f);
  /// Draws whether this event happens with probability `p`.
  bool chance(double p);

  /// Counters shown by /control/stats.
  void count(std::string_view name, long n = 1);
  json stats() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, number> numbers_;
  std::vector<record> records_;
  std::shared_ptr<const faults> faults_ = std::make_shared<const faults>();
  std::mt19937_64 rng_;
  std::uint64_t wamid_counter_ = 0;
  std::string run_id_;  ///< random per run, part of every wamid
  std::map<std::string, long, std::less<>> counters_;
  std::map<std::string, std::string> codes_;  ///< signup code → its number ("" once redeemed)
  json signup_config_ = json::object();
  std::map<std::string, std::pair<std::size_t, std::string>> uploads_;  ///< id → (length, handle)
  std::set<std::string> handles_;
  std::map<std::string, json> templates_;  ///< id → template
  std::uint64_t template_counter_ = 0;
  json template_review_ = {{"decision", "APPROVED"}, {"delay_ms", 100}, {"rules", json::array()}};
  std::map<std::string, json> flows_;  ///< id → flow
  std::uint64_t flow_counter_ = 0;
  json flow_validation_ = {{"rules", json::array()}};
};

}  // namespace paige::metasim
