#include "bench/metasim/sim_state.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace paige::metasim {

json to_json(const faults& f) {
  json recipients = json::object(), mix = json::object(), latency = json::object();
  for (const auto& [wa, code] : f.recipient_errors) recipients[wa] = code;
  for (const auto& [code, share] : f.error_mix) mix[std::to_string(code)] = share;
  for (const auto& [number, ms] : f.number_latency_ms) latency[number] = ms;
  return {{"error_rate", f.error_rate},
          {"error_code", f.error_code},
          {"latency_ms", f.latency_ms},
          {"duplicate_rate", f.duplicate_rate},
          {"statuses", f.statuses},
          {"recipient_errors", recipients},
          {"error_mix", mix},
          {"number_latency_ms", latency},
          {"upload_error", f.upload_error}};
}

void apply_faults(faults& f, const json& j) {
  if (!j.is_object()) throw std::invalid_argument("faults must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key == "error_rate" && value.is_number())
      f.error_rate = value.get<double>();
    else if (key == "error_code" && value.is_number_integer())
      f.error_code = value.get<long>();
    else if (key == "latency_ms" && value.is_number_integer())
      f.latency_ms = value.get<long>();
    else if (key == "duplicate_rate" && value.is_number())
      f.duplicate_rate = value.get<double>();
    else if (key == "statuses" && value.is_array())
      f.statuses = value.get<std::vector<std::string>>();
    else if (key == "recipient_errors" && value.is_object()) {
      f.recipient_errors.clear();
      for (const auto& [wa, code] : value.items()) f.recipient_errors[wa] = code.get<long>();
    } else if (key == "error_mix" && value.is_object()) {
      f.error_mix.clear();
      for (const auto& [code, share] : value.items())
        f.error_mix[std::stol(code)] = share.get<double>();
    } else if (key == "upload_error" && value.is_number_integer()) {
      f.upload_error = value.get<long>();
    } else if (key == "number_latency_ms" && value.is_object()) {
      f.number_latency_ms.clear();
      for (const auto& [number, ms] : value.items()) f.number_latency_ms[number] = ms.get<long>();
    } else {
      throw std::invalid_argument("unknown or mistyped fault '" + key + "'");
    }
  }
}

json to_json(const number& n) {
  return {{"phone_number_id", n.phone_number_id},
          {"waba_id", n.waba_id},
          {"display_phone_number", n.display_phone_number},
          {"verified_name", n.verified_name},
          {"registered", n.registered},
          {"subscribed", n.subscribed},
          {"register_calls", n.register_calls},
          {"requested_name", n.requested_name},
          {"name_review", n.name_review},
          {"quality_rating", n.quality_rating},
          {"profile", n.profile}};
}

std::vector<number> sim_state::numbers() const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<number> out;
  for (const auto& [id, n] : numbers_) out.push_back(n);
  return out;
}

bool sim_state::update_number(const std::string& id, const std::function<void(number&)>& f) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = numbers_.find(id);
  if (it == numbers_.end()) return false;
  f(it->second);
  return true;
}

std::string sim_state::new_upload(std::size_t length, const std::string& type) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto id = "upload:" + run_id_ + "-" + std::to_string(++wamid_counter_);
  uploads_[id] = {length, type};
  return id;
}

std::optional<std::string> sim_state::finish_upload(const std::string& id, std::size_t received) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = uploads_.find(id);
  if (it == uploads_.end() || it->second.first != received) return std::nullopt;
  auto handle = "4::" + run_id_ + ":" + std::to_string(++wamid_counter_);
  handles_.insert(handle);
  uploads_.erase(it);
  return handle;
}

bool sim_state::known_handle(const std::string& handle) const {
  std::lock_guard<std::mutex> lock{mutex_};
  return handles_.count(handle) > 0;
}

std::string sim_state::issue_code(const std::string& phone_number_id) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto code = "SIMCODE-" + run_id_ + "-" + std::to_string(++wamid_counter_);
  codes_[code] = phone_number_id;
  return code;
}

std::optional<std::string> sim_state::redeem_code(const std::string& code) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = codes_.find(code);
  if (it == codes_.end() || it->second.empty()) return std::nullopt;
  auto number = it->second;
  it->second.clear();
  return number;
}

json sim_state::signup_config() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return signup_config_;
}

void sim_state::set_signup_config(json config) {
  std::lock_guard<std::mutex> lock{mutex_};
  signup_config_ = std::move(config);
}

void sim_state::put_number(number n) {
  std::lock_guard<std::mutex> lock{mutex_};
  numbers_[n.phone_number_id] = std::move(n);
}

std::optional<number> sim_state::find_number(const std::string& id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = numbers_.find(id);
  if (it == numbers_.end()) return std::nullopt;
  return it->second;
}

std::optional<number> sim_state::find_waba(const std::string& waba_id,
                                           const std::string& token) const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::optional<number> first;
  for (const auto& [id, n] : numbers_) {
    if (n.waba_id != waba_id) continue;
    if (!token.empty() && n.access_token == token) return n;
    if (!first) first = n;
  }
  return first;
}

void sim_state::mark_registered(const std::string& id) {
  std::lock_guard<std::mutex> lock{mutex_};
  if (auto it = numbers_.find(id); it != numbers_.end()) {
    it->second.registered = true;
    ++it->second.register_calls;
  }
}

void sim_state::update_profile(const std::string& id, const json& fields) {
  std::lock_guard<std::mutex> lock{mutex_};
  if (auto it = numbers_.find(id); it != numbers_.end()) it->second.profile.update(fields);
}

void sim_state::mark_subscribed(const std::string& waba_id) {
  std::lock_guard<std::mutex> lock{mutex_};
  for (auto& [id, n] : numbers_)
    if (n.waba_id == waba_id) n.subscribed = true;
}

sim_state::sim_state(std::uint64_t seed) : rng_(seed) {
  std::random_device entropy;
  char id[17];
  std::snprintf(id, sizeof id, "%08x%08x", entropy(), entropy());
  run_id_ = id;
}

std::string sim_state::next_wamid() {
  std::lock_guard<std::mutex> lock{mutex_};
  return "wamid.SIM" + run_id_ + "." + std::to_string(++wamid_counter_) + "x" +
         std::to_string(rng_() % 100000);
}

std::uint64_t sim_state::add(record r) {
  std::lock_guard<std::mutex> lock{mutex_};
  r.seq = records_.size() + 1;
  r.at = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  records_.push_back(std::move(r));
  return records_.back().seq;
}

std::vector<record> sim_state::records(const std::string& number_id, const std::string& wa_id,
                                       std::uint64_t after_seq) const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<record> out;
  for (std::size_t i = after_seq; i < records_.size(); ++i) {
    const auto& r = records_[i];
    if (r.phone_number_id == number_id && (wa_id.empty() || r.wa_id == wa_id)) out.push_back(r);
  }
  return out;
}

std::uint64_t sim_state::last_seq() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return records_.size();
}

faults sim_state::get_faults() const { return *current_faults(); }

std::shared_ptr<const faults> sim_state::current_faults() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return faults_;
}

void sim_state::set_faults(faults f) {
  auto shared = std::make_shared<const faults>(std::move(f));
  std::lock_guard<std::mutex> lock{mutex_};
  faults_ = std::move(shared);
}

long sim_state::draw_error(const faults& f) {
  std::lock_guard<std::mutex> lock{mutex_};
  double x = std::uniform_real_distribution<double>{0, 1}(rng_);
  if (x < f.error_rate) return f.error_code;
  x -= f.error_rate;
  for (const auto& [code, share] : f.error_mix) {
    if (x < share) return code;
    x -= share;
  }
  return 0;
}

bool sim_state::chance(double p) {
  if (p <= 0) return false;
  std::lock_guard<std::mutex> lock{mutex_};
  return std::uniform_real_distribution<double>{0, 1}(rng_) < p;
}

void sim_state::count(std::string_view name, long n) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = counters_.find(name);
  if (it == counters_.end()) it = counters_.emplace(std::string{name}, 0).first;
  it->second += n;
}

json sim_state::stats() const {
  std::lock_guard<std::mutex> lock{mutex_};
  json out = json::object();
  for (const auto& [k, v] : counters_) out[k] = v;
  out["records"] = records_.size();
  return out;
}

json sim_state::add_template(const std::string& waba_id, json t) {
  std::lock_guard<std::mutex> lock{mutex_};
  // Meta's ids are long decimal numbers; the run id keeps them apart across restarts.
  auto id = std::to_string(1000000000000000ULL +
                           (std::hash<std::string>{}(run_id_) % 1000000) * 1000000ULL +
                           ++template_counter_);
  t["id"] = id;
  t["waba_id"] = waba_id;
  t["status"] = "PENDING";
  return templates_[id] = std::move(t);
}

std::optional<json> sim_state::find_template(const std::string& id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = templates_.find(id);
  if (it == templates_.end()) return std::nullopt;
  return it->second;
}

std::optional<json> sim_state::find_template(const std::string& waba_id, const std::string& name,
                                             const std::string& language) const {
  std::lock_guard<std::mutex> lock{mutex_};
  for (const auto& [id, t] : templates_)
    if (t.value("waba_id", "") == waba_id && t.value("name", "") == name &&
        t.value("language", "") == language)
      return t;
  return std::nullopt;
}

std::vector<json> sim_state::templates(const std::string& waba_id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<json> out;
  for (const auto& [id, t] : templates_)
    if (t.value("waba_id", "") == waba_id) out.push_back(t);
  return out;
}

bool sim_state::update_template(const std::string& id, const std::function<void(json&)>& f) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = templates_.find(id);
  if (it == templates_.end()) return false;
  f(it->second);
  return true;
}

std::vector<json> sim_state::remove_templates(const std::string& waba_id, const std::string& name,
                                              const std::string& id) {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<json> out;
  for (auto it = templates_.begin(); it != templates_.end();) {
    const auto& t = it->second;
    if (t.value("waba_id", "") == waba_id && t.value("name", "") == name &&
        (id.empty() || it->first == id)) {
      out.push_back(t);
      it = templates_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

json sim_state::template_review() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return template_review_;
}

void sim_state::set_template_review(json review) {
  std::lock_guard<std::mutex> lock{mutex_};
  template_review_ = std::move(review);
}

json sim_state::add_flow(const std::string& waba_id, json f) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto id =
      std::to_string(2000000000000000ULL +
                     (std::hash<std::string>{}(run_id_) % 1000000) * 1000000ULL + ++flow_counter_);
  f["id"] = id;
  f["waba_id"] = waba_id;
  f["status"] = "DRAFT";
  if (!f.contains("validation_errors")) f["validation_errors"] = json::array();
  return flows_[id] = std::move(f);
}

std::optional<json> sim_state::find_flow(const std::string& id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = flows_.find(id);
  if (it == flows_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> sim_state::flows(const std::string& waba_id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  std::vector<json> out;
  for (const auto& [id, f] : flows_)
    if (f.value("waba_id", "") == waba_id) out.push_back(f);
  return out;
}

bool sim_state::update_flow(const std::string& id, const std::function<void(json&)>& f) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = flows_.find(id);
  if (it == flows_.end()) return false;
  f(it->second);
  return true;
}

bool sim_state::remove_flow(const std::string& id) {
  std::lock_guard<std::mutex> lock{mutex_};
  return flows_.erase(id) > 0;
}

json sim_state::flow_validation() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return flow_validation_;
}

void sim_state::set_flow_validation(json rules) {
  std::lock_guard<std::mutex> lock{mutex_};
  flow_validation_ = std::move(rules);
}

}  // namespace paige::metasim
