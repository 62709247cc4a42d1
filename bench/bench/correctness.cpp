#include "bench/bench/correctness.hpp"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace paige::bench {

std::string wa_id_of(int project, int contact) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "9%03d%07d", project % 1000, contact % 10000000);
  return buf;
}

bool contact_of(const std::string& wa_id, int& project, int& contact) {
  if (wa_id.size() != 11 || wa_id[0] != '9') return false;
  for (std::size_t i = 1; i < wa_id.size(); ++i)
    if (wa_id[i] < '0' || wa_id[i] > '9') return false;
  project = std::stoi(wa_id.substr(1, 3));
  contact = std::stoi(wa_id.substr(4));
  return true;
}

int load_index(const std::string& text, const std::string& prefix) {
  if (text.size() <= prefix.size() || text.compare(0, prefix.size(), prefix) != 0) return -1;
  const char* first = text.data() + prefix.size();
  const char* last = text.data() + text.size();
  if (*first < '0' || *first > '9') return -1;  // from_chars would take a sign
  int index = -1;
  auto [end, error] = std::from_chars(first, last, index);
  return error == std::errc{} && end == last ? index : -1;
}

bool log_problems::ok() const {
  return lost == 0 && duplicated == 0 && reordered == 0 && unexpected == 0 &&
         wrong_final_status.empty();
}

log_problems& log_problems::operator+=(const log_problems& other) {
  lost += other.lost;
  duplicated += other.duplicated;
  reordered += other.reordered;
  unexpected += other.unexpected;
  for (const auto& [status, n] : other.wrong_final_status) wrong_final_status[status] += n;
  return *this;
}

nlohmann::json to_json(const log_problems& problems) {
  long wrong = 0;
  for (const auto& [status, n] : problems.wrong_final_status) wrong += n;
  return {{"lost", problems.lost},
          {"duplicated", problems.duplicated},
          {"reordered", problems.reordered},
          {"unexpected", problems.unexpected},
          {"wrong_final_status", wrong},
          {"wrong_final_status_by_status", problems.wrong_final_status}};
}

namespace {

/// One direction of one contact: texts `prefix`0 .. `prefix`<sent-1>, each once, in order.
void check_sequence(const std::vector<const stored_message*>& rows, const std::string& prefix,
                    int sent, log_problems& out) {
  std::vector<int> seen(static_cast<std::size_t>(sent), 0);
  int last = -1;
  for (const auto* row : rows) {
    int i = load_index(row->text, prefix);
    if (i < 0 || i >= sent) {
      ++out.unexpected;
      continue;
    }
    if (seen[static_cast<std::size_t>(i)]++) {
      ++out.duplicated;
      continue;
    }
    if (i < last) ++out.reordered;
    last = std::max(last, i);
  }
  for (int n : seen) out.lost += n == 0;
}

}  // namespace

log_problems check_log(const project_log& log, const std::vector<sent_count>& contacts,
                       const std::string& final_status) {
  log_problems out;
  std::size_t known_rows = 0;
  for (const auto& contact : contacts) {
    std::vector<const stored_message*> inbound, replies;
    if (auto it = log.find(contact.wa_id); it != log.end()) {
      known_rows += it->second.size();
      for (const auto& row : it->second) {
        (row.inbound ? inbound : replies).push_back(&row);
        if (!row.inbound && row.status != final_status) ++out.wrong_final_status[row.status];
      }
    }
    check_sequence(inbound, "m", contact.sent, out);
    check_sequence(replies, "echo: m", contact.sent, out);
  }
  std::size_t all_rows = 0;
  for (const auto& [wa_id, rows] : log) all_rows += rows.size();
  out.unexpected += static_cast<long>(all_rows - known_rows);  // contacts the load never had
  return out;
}

}  // namespace paige::bench
