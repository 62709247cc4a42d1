/// @file
/// @brief HTTP request and response as handlers see them: plain structs, no Beast.
#pragma once

#include "common/api_codes.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paige::api {

using string_pairs = std::vector<std::pair<std::string, std::string>>;

/// A complete request, body included.
struct http_request {
  std::string method;    ///< "GET", "POST", ...
  std::string target;    ///< as received, e.g. "/v1/projects?limit=10"
  std::string path;      ///< percent-decoded path, without the query
  string_pairs query;    ///< percent-decoded query parameters, in order
  string_pairs headers;  ///< names lowercased
  string_pairs params;   ///< path parameters bound by the router, e.g. {"project_id", "..."}
  std::string caller;    ///< who authenticated: "admin" or "key:<key id>" (guarded routes)
  std::string body;

  /// The first header named `name` (lowercase), if present.
  std::optional<std::string_view> header(std::string_view name) const;
  /// The first query parameter named `name`, if present.
  std::optional<std::string_view> query_param(std::string_view name) const;
  /// The path parameter named `name` (empty when absent).
  std::string_view param(std::string_view name) const;
};

/// The sending side of a streamed response body (server-sent events). Thread-safe, never
/// blocks: data is queued for the connection.
class stream_sink {
 public:
  virtual ~stream_sink() = default;
  /// Queues `data` for the client; false once the stream has ended (the client left, the
  /// server is stopping, or the client fell too far behind and was dropped).
  virtual bool write(std::string data) = 0;
  /// Ends the stream (the connection closes once what is queued is written).
  virtual void close() = 0;
  virtual bool open() const = 0;
};

/// Called with the sink once the head of a streamed response is on its way.
using stream_start = std::function<void(std::shared_ptr<stream_sink>)>;

/// A complete response, or the head of a streamed one.
struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  string_pairs headers;  ///< extra headers
  /// When set, the response is a stream: the head goes out without a length (the body ends
  /// when the connection closes), `body` is ignored, and `stream` receives the sink.
  stream_start stream;

  /// A JSON response.
  static http_response json(unsigned status, const nlohmann::json& body);
  /// The error shape of DESIGN.md §6: {"error": {"code", "message", "details"?}}.
  /// The same shape with a code outside Paige's API (the Meta simulator's control API).
  static http_response foreign_error(unsigned status, std::string_view code,
                                     std::string_view message);
  /// The status is the code's (common/api_codes.hpp).
  static http_response error(api_code code, std::string_view message);
  static http_response error(api_code code, std::string_view message,
                             const nlohmann::json& details);
};

/// Sends a request's response; may be called from any thread. A request is answered once:
/// by its handler, or by its route's answer deadline if that came first; later answers are
/// dropped.
class responder {
 public:
  responder() = default;
  /// `send` sends the response unless the request was answered, and says whether it did.
  explicit responder(std::function<bool(http_response)> send) : send_(std::move(send)) {}

  void operator()(http_response res) const { send_(std::move(res)); }
  /// Sends `res` unless the request was answered already (its deadline); whether it did.
  bool answer(http_response res) const { return send_(std::move(res)); }

 private:
  std::function<bool(http_response)> send_;
};

/// Handles one request; responds now or later through `respond`. Must not block.
using handler = std::function<void(http_request&& req, responder respond)>;

}  // namespace paige::api
