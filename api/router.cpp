#include "api/router.hpp"

#include <stdexcept>

namespace paige::api {
namespace {

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> router::list() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

void router::add(std::string method, std::string pattern, handler h, answer_deadline deadline) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  route r{std::move(method), pattern, {}, std::move(h), std::move(deadline)};
  for (auto s : split_path(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

route_match router::match(std::string_view method, const std::vector<std::string>& segments) const {
  route_match out;
  out.status = 404;
  for (const auto& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    string_pairs params;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const auto& want = r.segments[i];
      if (is_param(want)) {
        if (segments[i].empty())
          ok = false;
        else
          params.emplace_back(want.substr(1, want.size() - 2), segments[i]);
      } else {
        ok = want == segments[i];
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      out.status = 405;
      out.route = r.pattern;
      if (!out.allow.empty()) out.allow += ", ";
      out.allow += r.method;
      continue;
    }
    out.target = &r.h;
    out.deadline = &r.deadline;
    out.route = r.pattern;
    out.params = std::move(params);
    out.status = 200;
    out.allow.clear();
    return out;
  }
  return out;
}

}  // namespace paige::api
