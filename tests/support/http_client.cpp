#include "tests/support/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace paige::test {

std::string http_reply::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

struct http_connection::impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;

  // Runs the io_context until the operation completes or the deadline passes.
  void run_for(std::chrono::milliseconds timeout) {
    ioc.restart();
    ioc.run_for(timeout);
    if (!ioc.stopped()) {
      stream.cancel();
      ioc.restart();
      ioc.run();
      throw std::runtime_error("HTTP operation timed out");
    }
  }
};

http_connection::http_connection(std::uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  impl_->stream.socket().set_option(tcp::no_delay{true});
}

http_connection::~http_connection() = default;

http_reply http_connection::read_reply(std::chrono::milliseconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code ec;
  http::async_read(impl_->stream, impl_->buffer, parser,
                   [&](beast::error_code e, std::size_t) { ec = e; });
  impl_->run_for(timeout);
  if (ec) throw beast::system_error{ec};
  auto& res = parser.get();
  http_reply out;
  out.status = res.result_int();
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  for (const auto& f : res) {
    std::string name{f.name_string()};
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    out.headers.emplace_back(name, std::string{f.value()});
  }
  return out;
}

void http_connection::send_raw(const std::string& bytes) {
  net::write(impl_->stream.socket(), net::buffer(bytes));
}

bool http_connection::closed_by_peer(std::chrono::milliseconds timeout) {
  char byte;
  beast::error_code ec;
  impl_->stream.async_read_some(net::buffer(&byte, 1),
                                [&](beast::error_code e, std::size_t) { ec = e; });
  try {
    impl_->run_for(timeout);
  } catch (const std::runtime_error&) {
    return false;
  }
  return ec == net::error::eof || ec == net::error::connection_reset;
}

http_reply http_connection::request(const std::string& method, const std::string& target,
                                    const std::string& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body() = body;
    if (req[http::field::content_type].empty())
      req.set(http::field::content_type, "application/json");
    req.prepare_payload();
  }
  http::write(impl_->stream, req);
  return read_reply(timeout);
}

http_reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  http_connection c{port};
  return c.request(method, target, body, headers);
}

}  // namespace paige::test

namespace paige::test {

json_reply json_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& bearer) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  auto r = http_request(port, method, target, body, headers);
  json_reply out{r.status, nullptr};
  if (!r.body.empty()) out.body = nlohmann::json::parse(r.body, nullptr, false);
  return out;
}

}  // namespace paige::test
