/// @file
/// @brief Maps method + path to a handler; path patterns hold `{name}` parameters.
#pragma once

#include "api/http_types.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace paige::api {

/// What the server answers for a route whose handler has not answered in time. The handler's
/// late answer is then discarded.
struct answer_deadline {
  std::chrono::milliseconds after{0};  ///< 0: none, the handler answers when it answers
  http_response answer;
};

/// The outcome of matching a request.
struct route_match {
  const handler* target = nullptr;            ///< null: no route (see status)
  const answer_deadline* deadline = nullptr;  ///< with target
  std::string route;      ///< the pattern matched, e.g. "/v1/projects/{project_id}"
  string_pairs params;    ///< bound path parameters
  unsigned status = 200;  ///< 404 (no path) or 405 (path, not method) when no target
  std::string allow;      ///< methods of the path, for 405's Allow header
};

/// Route table. Built at start-up, then read concurrently without locks.
class router {
 public:
  /// Adds a route. `pattern` is a path whose segments are literals or `{name}`.
  void add(std::string method, std::string pattern, handler h, answer_deadline deadline = {});

  /// Every route as (method, pattern), in the order they were added.
  std::vector<std::pair<std::string, std::string>> list() const;

  /// Finds the route for `method` and the path's percent-decoded `segments`.
  route_match match(std::string_view method, const std::vector<std::string>& segments) const;

 private:
  struct route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    handler h;
    answer_deadline deadline;
  };
  std::vector<route> routes_;
};

/// Splits a path into its segments ("/a/b/" → {"a", "b"}).
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace paige::api
