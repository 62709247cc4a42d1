#include "api/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <variant>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace paige::api {
namespace {

struct origin {
  bool tls = false;
  std::string host;
  std::string port;
  bool operator<(const origin& o) const {
    return std::tie(tls, host, port) < std::tie(o.tls, o.host, o.port);
  }
};

struct job {
  http::request<http::string_body> req;
  http_client::callback done;
  bool retried = false;                 ///< failed once on a stale connection: goes on a new one
  std::chrono::milliseconds timeout{};  ///< connect + write + read; 0: the client's
};

class pool;

/// One connection; runs one request at a time on its pool's strand.
class connection : public std::enable_shared_from_this<connection> {
 public:
  using plain = beast::tcp_stream;
  using secure = beast::ssl_stream<beast::tcp_stream>;

  using any_stream = std::variant<plain, secure>;

  connection(net::strand<net::io_context::executor_type> strand, ssl::context& ctx, const origin& o)
      : stream_(make(strand, ctx, o)), origin_(o) {}

  static any_stream make(net::strand<net::io_context::executor_type> strand, ssl::context& ctx,
                         const origin& o) {
    if (o.tls) return any_stream{std::in_place_type<secure>, strand, ctx};
    return any_stream{std::in_place_type<plain>, strand};
  }

  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream_);
  }

  bool reused = false;  ///< served a request before (so a failure may mean "closed while idle")
  std::chrono::steady_clock::time_point idle_since;
  any_stream stream_;
  origin origin_;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> res;
};

}  // namespace

struct http_client::impl : std::enable_shared_from_this<impl> {
  explicit impl(http_client_options o) : opts(o), ctx(ssl::context::tls_client) {
    ctx.set_default_verify_paths();
    if (!opts.ca_file.empty())
      ctx.load_verify_file(opts.ca_file);  // throws if unreadable: a start-up error
    ctx.set_verify_mode(ssl::verify_peer);
  }

  http_client_options opts;
  net::io_context ioc{1};
  ssl::context ctx;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;

  struct pool_state {
    std::vector<std::shared_ptr<connection>> idle;
    std::deque<job> pending;
    std::size_t open = 0;
  };
  net::strand<net::io_context::executor_type> strand{net::make_strand(ioc)};
  std::map<origin, pool_state> pools;
  bool stopped = false;
  std::atomic<std::size_t> opened{0};

  void submit(origin o, job j) {
    if (stopped) return fail(std::move(j), "the HTTP client is stopped", false);
    pools[o].pending.push_back(std::move(j));
    pump(o);
  }

  std::chrono::milliseconds timeout_of(const job& j) const {
    return j.timeout.count() > 0 ? j.timeout : opts.timeout;
  }

  static void fail(job j, std::string why, bool timed_out) {
    client_response r;
    r.error = std::move(why);
    r.timed_out = timed_out;
    j.done(std::move(r));
  }

  /// The most recently used idle connection of `p` that has not idled too long; older ones
  /// are closed (a server drops idle connections on its own schedule).
  std::shared_ptr<connection> take_idle(pool_state& p) {
    auto now = std::chrono::steady_clock::now();
    while (!p.idle.empty()) {
      auto c = std::move(p.idle.back());
      p.idle.pop_back();
      if (now - c->idle_since < opts.idle_timeout) return c;
      drop(c);
    }
    return nullptr;
  }

  /// Starts pending jobs of `o` on idle connections, or new ones within the limit. A job that
  /// failed on a stale connection gets a new one, closing an idle one to make room.
  void pump(const origin& o) {
    auto& p = pools[o];
    while (!p.pending.empty()) {
      bool fresh_only = p.pending.front().retried;
      std::shared_ptr<connection> c = fresh_only ? nullptr : take_idle(p);
      if (!c && fresh_only && p.open >= opts.max_connections_per_origin && !p.idle.empty()) {
        drop(p.idle.front());
        p.idle.erase(p.idle.begin());
      }
      if (!c && p.open < opts.max_connections_per_origin) {
        ++p.open;
        ++opened;
        c = std::make_shared<connection>(strand, ctx, o);
      } else if (!c) {
        return;  // all busy: the job waits for a connection to come back
      }
      auto j = std::move(p.pending.front());
      p.pending.pop_front();
      if (c->reused)
        send(c, std::move(j));
      else
        connect(c, std::move(j));
    }
  }

  void connect(std::shared_ptr<connection> c, job j) {
    auto self = shared_from_this();
    auto resolver = std::make_shared<tcp::resolver>(strand);
    auto jp = std::make_shared<job>(std::move(j));
    c->tcp().expires_after(timeout_of(*jp));
    resolver->async_resolve(
        c->origin_.host, c->origin_.port,
        [self, c, jp, resolver](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->finish_error(c, std::move(*jp), "resolve: " + ec.message());
          c->tcp().async_connect(
              results, [self, c, jp](beast::error_code ec, const tcp::endpoint&) {
                if (ec) return self->finish_error(c, std::move(*jp), "connect: " + ec.message());
                beast::error_code ignored;
                c->tcp().socket().set_option(tcp::no_delay{true}, ignored);
                auto* tls = std::get_if<connection::secure>(&c->stream_);
                if (!tls) return self->send(c, std::move(*jp));
                if (!SSL_set_tlsext_host_name(tls->native_handle(), c->origin_.host.c_str()))
                  return self->finish_error(c, std::move(*jp), "TLS: cannot set SNI");
                tls->set_verify_callback(ssl::host_name_verification(c->origin_.host));
                tls->async_handshake(ssl::stream_base::client, [self, c, jp](beast::error_code ec) {
                  if (ec)
                    return self->finish_error(c, std::move(*jp), "TLS handshake: " + ec.message());
                  self->send(c, std::move(*jp));
                });
              });
        });
  }

  void send(std::shared_ptr<connection> c, job j) {
    auto self = shared_from_this();
    auto jp = std::make_shared<job>(std::move(j));
    c->tcp().expires_after(timeout_of(*jp));
    std::visit(
        [&](auto& s) {
          http::async_write(s, jp->req, [self, c, jp](beast::error_code ec, std::size_t) {
            if (ec) return self->on_failure(c, std::move(*jp), ec);
            self->receive(c, jp);
          });
        },
        c->stream_);
  }

  void receive(std::shared_ptr<connection> c, std::shared_ptr<job> jp) {
    auto self = shared_from_this();
    c->res.emplace();
    if (opts.max_response_bytes > 0) c->res->body_limit(opts.max_response_bytes);
    std::visit(
        [&](auto& s) {
          http::async_read(
              s, c->buffer, *c->res, [self, c, jp](beast::error_code ec, std::size_t n) {
                // Some of an answer came: the server had the request (a POST may have acted), so
                // it is not a stale connection's failure, and it is not sent again.
                if (ec)
                  return self->on_failure(c, std::move(*jp), ec, n > 0 || c->buffer.size() > 0);
                c->tcp().expires_never();
                client_response r;
                auto res = c->res->release();
                r.status = res.result_int();
                r.body = std::move(res.body());
                bool keep = res.keep_alive();
                jp->done(std::move(r));
                self->release(c, keep);
              });
        },
        c->stream_);
  }

  void on_failure(std::shared_ptr<connection> c, job j, beast::error_code ec,
                  bool answered_in_part = false) {
    bool stale =
        c->reused && !j.retried && !answered_in_part &&
        (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::eof ||
         ec == net::ssl::error::stream_truncated);  // a TLS peer that closed without close_notify
    auto o = c->origin_;
    drop(c);
    if (stale) {
      // The server closed the idle connection: once more, at once, on a new one. Its other
      // idle connections were most likely closed with it (a restart): they go too.
      j.retried = true;
      auto& p = pools[o];
      for (auto& idle : p.idle) drop(idle);
      p.idle.clear();
      p.pending.push_front(std::move(j));
      return pump(o);
    }
    fail(std::move(j), ec == beast::error::timeout ? "timed out" : ec.message(),
         ec == beast::error::timeout);
    pump(o);
  }

  void finish_error(std::shared_ptr<connection> c, job j, std::string why) {
    auto o = c->origin_;
    bool timed_out =
        why.find("timeout") != std::string::npos || why.find("timed out") != std::string::npos;
    drop(c);
    fail(std::move(j), std::move(why), timed_out);
    pump(o);
  }

  void release(std::shared_ptr<connection> c, bool keep) {
    auto o = c->origin_;
    if (!keep || stopped) {
      drop(c);
    } else {
      c->reused = true;
      c->idle_since = std::chrono::steady_clock::now();
      pools[o].idle.push_back(std::move(c));
    }
    pump(o);
  }

  void drop(const std::shared_ptr<connection>& c) {
    beast::error_code ignored;
    c->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    c->tcp().close();
    auto& p = pools[c->origin_];
    if (p.open > 0) --p.open;
  }
};

http_client::http_client(http_client_options opts) : impl_(std::make_shared<impl>(opts)) {
  impl_->work.emplace(net::make_work_guard(impl_->ioc));
  impl_->thread = std::thread([i = impl_] { i->ioc.run(); });
}

http_client::~http_client() { stop(); }

void http_client::request(const std::string& method, const std::string& url,
                          std::vector<std::pair<std::string, std::string>> headers,
                          std::string body, callback done, std::chrono::milliseconds timeout) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty()) {
    client_response r;
    r.error = "invalid URL: " + url;
    return done(std::move(r));
  }
  origin o;
  o.tls = parsed->scheme() == "https";
  o.host = parsed->host();
  o.port = parsed->has_port() ? std::string{parsed->port()} : (o.tls ? "443" : "80");
  std::string target{parsed->encoded_target()};
  if (target.empty()) target = "/";
  job j;
  j.req = http::request<http::string_body>{http::string_to_verb(method), target, 11};
  j.req.set(http::field::host, parsed->encoded_host_and_port());
  j.req.set(http::field::user_agent, "paige");
  for (auto& [k, v] : headers) j.req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    j.req.body() = std::move(body);
    j.req.prepare_payload();
  }
  j.req.keep_alive(true);
  j.done = std::move(done);
  j.timeout = timeout;
  net::post(impl_->strand,
            [i = impl_, o, j = std::move(j)]() mutable { i->submit(o, std::move(j)); });
}

std::size_t http_client::connections_opened() const { return impl_->opened.load(); }

void http_client::stop() {
  auto& i = *impl_;
  if (!i.thread.joinable()) return;
  std::promise<void> done;
  net::post(i.strand, [&i, &done] {
    i.stopped = true;
    for (auto& [o, p] : i.pools) {
      for (auto& c : p.idle) i.drop(c);
      p.idle.clear();
      while (!p.pending.empty()) {
        impl::fail(std::move(p.pending.front()), "the HTTP client is stopped", false);
        p.pending.pop_front();
      }
    }
    done.set_value();
  });
  done.get_future().wait();
  i.work.reset();
  i.ioc.stop();
  i.thread.join();
}

}  // namespace paige::api
