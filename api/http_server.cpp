#include "api/http_server.hpp"

#include "api/request_target.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace paige::api {
namespace {

class session;

std::string lowercase(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string method_label(std::string_view m) {
  static const char* known[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
  for (const char* k : known)
    if (m == k) return k;
  return "other";
}

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(http_server_options o, const router& r, metrics::registry& m)
      : opts(std::move(o)),
        routes(r),
        ioc(static_cast<int>(std::max(1u, opts.threads))),
        acceptor(net::make_strand(ioc)),
        accept_retry(acceptor.get_executor()),
        requests(m.counters("paige_http_requests_total", "HTTP requests answered",
                            {"method", "route", "status"})),
        durations(m.histograms("paige_http_request_duration_seconds",
                               "time from a request fully received to its response written",
                               {"method", "route"}, metrics::latency_buckets())),
        connections(m.gauges("paige_http_connections", "open HTTP connections", {}).with({})),
        in_flight(m.gauges("paige_http_requests_in_flight", "requests being handled", {}).with({})),
        streams(m.gauges("paige_http_streams", "open event streams", {}).with({})),
        streams_dropped(m.counters("paige_http_streams_dropped_total",
                                   "event streams closed because the client fell behind", {})
                            .with({})),
        accept_pauses(
            m.counters("paige_http_accept_paused_total",
                       "times accepting stopped: max_connections open, or no file descriptor left",
                       {"reason"})) {}

  http_server_options opts;
  const router& routes;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;  ///< resumes accepting after descriptors ran out
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};

  metrics::family<metrics::counter>& requests;
  metrics::family<metrics::histogram>& durations;
  metrics::gauge& connections;
  metrics::gauge& in_flight;
  metrics::gauge& streams;
  metrics::counter& streams_dropped;
  metrics::family<metrics::counter>& accept_pauses;

  // Accepting stops while max_connections are open or no descriptor is left, instead of
  // spinning on failed accepts; a closing connection (or, without descriptors, a short wait)
  // resumes it. Touched on the acceptor's strand, but `open` and `paused` by any connection.
  std::atomic<std::size_t> open{0};
  std::atomic<bool> paused{false};
  std::chrono::steady_clock::time_point last_failure_logged{};
  std::size_t failures_unlogged = 0;

  std::mutex sessions_mutex;
  std::condition_variable sessions_cv;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void pause_accepting(const char* reason);
  void resume_accepting();
  void log_accept_failure(const beast::error_code& ec);
  /// A connection ended: accepting resumes if it was paused.
  void connection_closed() {
    open.fetch_sub(1);
    if (paused.load())
      net::post(acceptor.get_executor(), [self = shared_from_this()] { self->resume_accepting(); });
  }
  void add(session* s, std::weak_ptr<session> w) {
    std::lock_guard<std::mutex> lock{sessions_mutex};
    sessions.emplace(s, std::move(w));
  }
  /// Strong references to every connection still alive.
  std::vector<std::shared_ptr<session>> live_sessions() {
    std::vector<std::shared_ptr<session>> out;
    std::lock_guard<std::mutex> lock{sessions_mutex};
    for (auto& [ptr, weak] : sessions)
      if (auto s = weak.lock()) out.push_back(std::move(s));
    return out;
  }
  void remove(session* s) {
    std::lock_guard<std::mutex> lock{sessions_mutex};
    sessions.erase(s);
    sessions_cv.notify_all();
  }
};

namespace {

/// Room for a whole typical request (a webhook: about 1 KB with its head) in one read.
constexpr std::size_t first_read_bytes = 4096;

/// One connection: reads requests one at a time, hands each to its handler, writes the
/// response, repeats while keep-alive holds. All of it runs on the connection's strand.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, std::shared_ptr<http_server::impl> server)
      : server_(std::move(server)),
        stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        deadline_timer_(stream_.get_executor()) {
    // Beast reads at most the buffer's free capacity, at least 512 bytes, and hands body
    // bytes straight to the body: the buffer never grows, so a 1 KB webhook took two reads.
    buffer_.reserve(first_read_bytes);
    server_->connections.add(1);
  }

  ~session() {
    server_->connections.add(-1);
    server_->remove(this);
    server_->connection_closed();
  }

  void run() {
    server_->add(this, weak_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  /// Closes the connection at once; only while no I/O thread runs (server destruction).
  void force_close() {
    closing_ = true;
    timer_.cancel();
    deadline_timer_.cancel();
    do_close();
  }

  /// The server is draining: close when idle, or after the response in flight; a stream
  /// ends at once.
  void shutdown() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (self->streaming_) return self->end_stream();
      if (!self->busy_) self->cancel_io();
    });
  }

  /// Queues stream data (from any thread).
  void stream_push(std::string data) {
    net::post(stream_.get_executor(),
              [self = shared_from_this(), data = std::move(data)]() mutable {
                self->enqueue(std::move(data));
              });
  }

  /// Ends the stream (from any thread).
  void stream_close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->end_stream(); });
  }

 private:
  void cancel_io() {
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  void do_read() {
    if (closing_) return do_close();
    parser_.emplace();
    parser_->body_limit(server_->opts.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts.max_header_bytes));
    timed_out_ = false;
    timer_.expires_after(server_->opts.request_timeout);
    timer_.async_wait(beast::bind_front_handler(&session::on_timer, shared_from_this()));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_timer(beast::error_code ec) {
    if (ec == net::error::operation_aborted) return;
    timed_out_ = true;
    cancel_io();  // the pending read completes with operation_aborted
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    auto& req = parser_->get();
    if (req[http::field::expect] == "100-continue" && !parser_->is_done()) {
      // Tell the client to send the body now rather than after its own timeout.
      static const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(stream_, net::buffer(continue_line),
                              [self = shared_from_this()](beast::error_code e, std::size_t) {
                                if (e) return self->on_read_error(e);
                                self->read_body();
                              });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    timer_.cancel();
    handle_request();
  }

  void on_read_error(beast::error_code ec) {
    timer_.cancel();
    if (ec == net::error::operation_aborted && timed_out_ && parser_->got_some())
      return write_error(api_code::request_timeout, "the request was not received in time");
    if (ec == http::error::body_limit)
      return write_error(api_code::body_too_large,
                         "the request body is larger than " +
                             std::to_string(server_->opts.max_body_bytes) + " bytes");
    if (ec == http::error::header_limit)
      return write_error(api_code::headers_too_large,
                         "the request head is larger than " +
                             std::to_string(server_->opts.max_header_bytes) + " bytes");
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
      return write_error(api_code::bad_request, "malformed HTTP request: " + ec.message());
    do_close();  // end of stream, idle timeout, reset, drain
  }

  void write_error(api_code code, std::string message) {
    method_ = "other";
    route_ = "unmatched";
    started_ = std::chrono::steady_clock::now();
    busy_ = true;
    closing_ = true;  // after a framing error the rest of the stream cannot be trusted
    write(http_response::error(code, message), 11);
  }

  void handle_request() {
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    server_->in_flight.add(1);
    counted_in_flight_ = true;
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    unsigned version = msg.version();
    http_request req;
    req.method = std::string{msg.method_string()};
    req.target = std::string{msg.target()};
    method_ = method_label(req.method);
    route_ = "unmatched";
    auto target = parse_request_target(req.target);
    if (auto* refused = std::get_if<http_response>(&target))
      return write(std::move(*refused), version);
    auto& parts = std::get<request_target>(target);
    auto& segments = parts.segments;
    req.path = std::move(parts.path);
    req.query = std::move(parts.query);
    req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& f : msg)
      req.headers.emplace_back(lowercase(f.name_string()), std::string{f.value()});
    req.body = std::move(msg.body());

    auto match = server_->routes.match(req.method, segments);
    if (!match.route.empty()) route_ = match.route;
    if (!match.target) {
      if (match.status == 405) {
        auto res = http_response::error(api_code::method_not_allowed,
                                        req.method + " is not allowed on " + req.path);
        res.headers.emplace_back("Allow", match.allow);
        return write(std::move(res), version);
      }
      return write(http_response::error(api_code::not_found, "no such endpoint: " + req.path),
                   version);
    }
    req.params = std::move(match.params);
    // The responder may run on any thread: hop back onto this connection's strand.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    responder respond{[self = shared_from_this(), version, answered](http_response res) {
      if (answered->exchange(true)) return false;
      net::post(self->stream_.get_executor(), [self, version, res = std::move(res)]() mutable {
        self->write(std::move(res), version);
      });
      return true;
    }};
    try {
      (*match.target)(std::move(req), respond);
    } catch (const std::exception& e) {
      log::error("http.handler_failed", {{"route", route_}, {"reason", e.what()}});
      respond(http_response::error(api_code::internal, "internal error"));
    }
    if (match.deadline->after.count() > 0 && !answered->load())
      arm_deadline(*match.deadline, answered, version);
  }

  /// Answers in the handler's place if it has not answered within its route's deadline.
  void arm_deadline(const answer_deadline& deadline, std::shared_ptr<std::atomic<bool>> answered,
                    unsigned version) {
    deadline_armed_ = true;
    deadline_timer_.expires_after(deadline.after);
    deadline_timer_.async_wait(
        [self = shared_from_this(), &deadline, answered, version](beast::error_code ec) {
          if (ec || answered->exchange(true)) return;
          log::warn("http.answer_deadline",
                    {{"route", self->route_}, {"after_ms", deadline.after.count()}});
          self->write(deadline.answer, version);
        });
  }

  void write(http_response res, unsigned version) {
    if (deadline_armed_) {
      deadline_armed_ = false;
      deadline_timer_.cancel();
    }
    if (res.stream) return start_stream(std::move(res), version);
    auto out = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(res.status), version);
    out->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out->set(k, v);
    out->body() = std::move(res.body);
    bool keep = keep_alive_ && !closing_ && !server_->draining.load();
    out->keep_alive(keep);
    out->prepare_payload();

    record(res.status);

    stream_.expires_after(server_->opts.request_timeout);
    http::async_write(stream_, *out,
                      [self = shared_from_this(), out, keep](beast::error_code ec, std::size_t) {
                        self->on_write(ec, keep);
                      });
  }

  /// Counts the answer and the time it took. A keep-alive connection mostly repeats one
  /// route (Meta's webhooks), so the metric children of the last answer are kept at hand.
  void record(unsigned status) {
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
    if (!recorded_requests_ || recorded_status_ != status || recorded_method_ != method_ ||
        recorded_route_ != route_) {
      recorded_requests_ = &server_->requests.with({method_, route_, std::to_string(status)});
      recorded_duration_ = &server_->durations.with({method_, route_});
      recorded_status_ = status;
      recorded_method_ = method_;
      recorded_route_ = route_;
    }
    recorded_requests_->inc();
    recorded_duration_->observe(elapsed.count());
  }

  void on_write(beast::error_code ec, bool keep) {
    stream_.expires_never();
    if (counted_in_flight_) server_->in_flight.add(-1);
    counted_in_flight_ = false;
    busy_ = false;
    keep_alive_ = false;
    if (ec || !keep) return do_close();
    do_read();
  }

  // -- streamed responses ------------------------------------------------------------

  /// Writes the head, hands the sink to the handler, then watches the client and keeps the
  /// connection alive with comments.
  void start_stream(http_response res, unsigned version) {
    streaming_ = true;
    std::string head = "HTTP/1." + std::to_string(version % 10) + " " + std::to_string(res.status) +
                       " " +
                       std::string{http::obsolete_reason(static_cast<http::status>(res.status))} +
                       "\r\nContent-Type: " + res.content_type +
                       "\r\nCache-Control: no-cache\r\nConnection: close\r\n";
    for (auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
    head += "\r\n";
    record(res.status);
    if (counted_in_flight_) server_->in_flight.add(-1);
    counted_in_flight_ = false;
    server_->streams.add(1);
    enqueue(std::move(head));
    sink_ = std::make_shared<sink>(weak_from_this());
    // Any byte or end of stream from the client ends it: it sent nothing more to read.
    stream_.async_read_some(
        net::buffer(probe_),
        [self = shared_from_this()](beast::error_code, std::size_t) { self->end_stream(); });
    arm_heartbeat();
    res.stream(sink_);
  }

  void arm_heartbeat() {
    timer_.expires_after(server_->opts.stream_heartbeat);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->stream_ended_) return;
      self->enqueue(": keep-alive\n\n");
      self->arm_heartbeat();
    });
  }

  void enqueue(std::string data) {
    if (stream_ended_) return;
    queued_bytes_ += data.size();
    if (queued_bytes_ > server_->opts.max_stream_backlog) {
      // The client reads slower than events come: drop it rather than buffer without end.
      log::warn("http.stream_dropped", {{"route", route_}, {"queued_bytes", queued_bytes_}});
      server_->streams_dropped.inc();
      return end_stream();
    }
    out_.push_back(std::move(data));
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    stream_.expires_after(server_->opts.request_timeout);  // a client that stops reading is cut
    net::async_write(stream_, net::buffer(out_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->stream_.expires_never();
                       self->queued_bytes_ -= self->out_.front().size();
                       self->out_.pop_front();
                       self->writing_ = false;
                       if (ec) return self->end_stream();
                       if (!self->out_.empty()) self->write_next();
                     });
  }

  void end_stream() {
    if (stream_ended_) return;
    stream_ended_ = true;
    if (sink_) sink_->ended = true;
    server_->streams.add(-1);
    timer_.cancel();
    do_close();
  }

  /// The handler's side of this connection's stream.
  struct sink : stream_sink {
    explicit sink(std::weak_ptr<session> s) : owner(std::move(s)) {}
    bool write(std::string data) override {
      if (ended) return false;
      auto s = owner.lock();
      if (!s) return false;
      s->stream_push(std::move(data));
      return true;
    }
    void close() override {
      if (auto s = owner.lock()) s->stream_close();
    }
    bool open() const override { return !ended && !owner.expired(); }
    std::weak_ptr<session> owner;
    std::atomic<bool> ended{false};
  };

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  // Declared first, destroyed last: the stream and timer below belong to its io_context.
  std::shared_ptr<http_server::impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  net::steady_timer timer_;
  net::steady_timer deadline_timer_;  ///< the route's answer deadline, while its handler works
  bool deadline_armed_ = false;
  std::chrono::steady_clock::time_point started_;
  std::string method_;
  std::string route_;
  metrics::counter* recorded_requests_ = nullptr;  ///< the children record() used last
  metrics::histogram* recorded_duration_ = nullptr;
  unsigned recorded_status_ = 0;
  std::string recorded_method_;
  std::string recorded_route_;
  bool busy_ = false;
  bool closing_ = false;
  bool timed_out_ = false;
  bool keep_alive_ = false;
  bool counted_in_flight_ = false;
  // A streamed response:
  bool streaming_ = false;
  bool stream_ended_ = false;
  bool writing_ = false;
  std::deque<std::string> out_;
  std::size_t queued_bytes_ = 0;
  std::shared_ptr<sink> sink_;
  std::array<char, 1> probe_{};
};

}  // namespace

void http_server::impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        beast::bind_front_handler(&impl::on_accept, shared_from_this()));
}

void http_server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    log_accept_failure(ec);
    // Out of descriptors (or kernel memory): accepting again at once fails again at once.
    // Wait for a connection to close, or a moment.
    if (ec == net::error::no_descriptors || ec.value() == ENFILE ||
        ec == net::error::no_buffer_space || ec == net::error::no_memory)
      return pause_accepting("descriptors");
  } else {
    socket.set_option(tcp::no_delay{true}, ec);
    open.fetch_add(1);
    std::make_shared<session>(std::move(socket), shared_from_this())->run();
    if (open.load() >= opts.max_connections) return pause_accepting("max_connections");
  }
  do_accept();
}

void http_server::impl::pause_accepting(const char* reason) {
  accept_pauses.with({reason}).inc();
  paused.store(true);
  if (std::string_view{reason} == "descriptors") {
    accept_retry.expires_after(std::chrono::milliseconds{100});
    accept_retry.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->resume_accepting();
    });
  }
  // A connection that closed before `paused` was set posted nothing: look again now.
  if (open.load() < opts.max_connections && std::string_view{reason} == "max_connections")
    resume_accepting();
}

void http_server::impl::resume_accepting() {
  if (!paused.load() || !acceptor.is_open() || draining.load() ||
      open.load() >= opts.max_connections)
    return;
  paused.store(false);
  accept_retry.cancel();
  do_accept();
}

void http_server::impl::log_accept_failure(const beast::error_code& ec) {
  // At most one line per 10 s: a failing accept repeats as fast as connections arrive.
  auto now = std::chrono::steady_clock::now();
  if (now - last_failure_logged < std::chrono::seconds{10}) {
    ++failures_unlogged;
    return;
  }
  log::warn("http.accept_failed", {{"reason", ec.message()}, {"suppressed", failures_unlogged}});
  last_failure_logged = now;
  failures_unlogged = 0;
}

http_server::http_server(http_server_options opts, const router& routes, metrics::registry& m)
    : impl_(std::make_shared<impl>(std::move(opts), routes, m)) {}

http_server::~http_server() {
  auto& i = *impl_;
  if (!i.threads.empty()) stop(std::chrono::milliseconds{0});
  // No I/O thread runs now: close what is left and let its handlers complete, so no
  // connection keeps the io_context (and itself) alive through a queued handler.
  for (auto& s : i.live_sessions()) s->force_close();
  i.ioc.restart();
  i.ioc.run();
}

std::uint16_t http_server::start() {
  auto& i = *impl_;
  auto address = net::ip::make_address(i.opts.host);
  tcp::endpoint endpoint{address, i.opts.port};
  i.acceptor.open(endpoint.protocol());
  i.acceptor.set_option(net::socket_base::reuse_address(true));
  i.acceptor.bind(endpoint);
  i.acceptor.listen(net::socket_base::max_listen_connections);
  auto port = i.acceptor.local_endpoint().port();
  i.work.emplace(net::make_work_guard(i.ioc));
  i.do_accept();
  for (unsigned t = 0; t < std::max(1u, i.opts.threads); ++t)
    i.threads.emplace_back([&i] { i.ioc.run(); });
  return port;
}

void http_server::stop(std::chrono::milliseconds grace) {
  auto& i = *impl_;
  if (i.threads.empty()) return;
  i.draining = true;
  std::promise<void> closed;
  net::post(i.acceptor.get_executor(), [&i, &closed] {
    beast::error_code ignored;
    i.acceptor.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  for (auto& s : i.live_sessions()) s->shutdown();
  {
    std::unique_lock<std::mutex> lock{i.sessions_mutex};
    i.sessions_cv.wait_for(lock, grace, [&i] { return i.sessions.empty(); });
    if (!i.sessions.empty())
      log::warn("http.drain_incomplete", {{"connections", i.sessions.size()}});
  }
  i.work.reset();
  i.ioc.stop();
  for (auto& t : i.threads) t.join();
  i.threads.clear();
}

bool http_server::draining() const { return impl_->draining.load(); }

}  // namespace paige::api
