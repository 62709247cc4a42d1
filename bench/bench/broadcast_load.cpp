#include "bench/bench/broadcast_load.hpp"

#include <algorithm>

namespace paige::bench {

std::string broadcast_load::wa_id_of(long i) {
  auto digits = std::to_string(1000000000L + i);  // 10 digits
  return "19" + digits;
}

nlohmann::json broadcast_load::request(const std::string& template_name) const {
  nlohmann::json ids = nlohmann::json::array();
  for (std::size_t i = 0; i < received_.size(); ++i) ids.push_back(wa_id_of(static_cast<long>(i)));
  return {{"name", "bench broadcast"},
          {"template", {{"name", template_name}, {"language", "en_US"}}},
          {"audience", {{"wa_ids", ids}}},
          {"components",
           nlohmann::json::array(
               {{{"type", "body"},
                 {"parameters", {{{"type", "text"}, {"text", {{"column", "wa_id"}}}}}}}})}};
}

bool broadcast_load::on_send(const std::string& to, const nlohmann::json& body) {
  if (body.value("type", "") != "template") return false;
  if (to.size() != 12 || to.compare(0, 2, "19") != 0) return true;  // not a recipient: ignored
  auto i = std::stol(to.substr(2)) - 1000000000L;
  auto now = clock::now();
  std::lock_guard<std::mutex> lock{mutex_};
  if (i >= 0 && static_cast<std::size_t>(i) < received_.size())
    ++received_[static_cast<std::size_t>(i)];
  if (sends_++ == 0) first_ = now;
  last_ = now;
  return true;
}

void broadcast_load::load_ended() {
  std::lock_guard<std::mutex> lock{mutex_};
  load_end_ = clock::now();
  during_load_ = sends_.load();
}

nlohmann::json broadcast_load::summary() const {
  std::lock_guard<std::mutex> lock{mutex_};
  long unique = 0, missing = 0, duplicates = 0;
  for (int n : received_) {
    if (n > 0) ++unique;
    if (n == 0) ++missing;
    if (n > 1) duplicates += n - 1;
  }
  auto seconds = [](clock::time_point a, clock::time_point b) {
    return std::max(1e-9, std::chrono::duration<double>(b - a).count());
  };
  double window = sends_ ? seconds(first_, last_) : 0;
  nlohmann::json out{{"recipients", received_.size()},
                     {"sends", sends_.load()},
                     {"unique", unique},
                     {"missing", missing},
                     {"duplicates", duplicates},
                     {"killed_at_sends", killed_at_},
                     {"window_s", window},
                     {"per_s", window > 0 ? sends_.load() / window : 0}};
  if (during_load_ >= 0 && sends_) {
    // While the chat load ran: from the first send to the load's end (or the last send, if the
    // broadcast was over before).
    out["during_load_per_s"] =
        load_end_ > first_ ? during_load_ / seconds(first_, std::min(load_end_, last_)) : 0.0;
    out["after_load_per_s"] = last_ > load_end_ ? (sends_.load() - during_load_) /
                                                      seconds(std::max(load_end_, first_), last_)
                                                : 0.0;
  }
  return out;
}

}  // namespace paige::bench
