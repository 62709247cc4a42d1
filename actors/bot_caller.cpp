#include "actors/bot_caller.hpp"

#include "actors/core/code_bot_contract.hpp"
#include "common/secrets.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <unordered_map>

namespace paige::actors {
namespace {

using bot_done_atom = caf::atom_constant<caf::atom("botdone")>;

struct caller_state {
  static constexpr const char* name = "bot_caller";
  std::shared_ptr<bot_transport> transport;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending;
};

using self_ptr = caf::stateful_actor<caller_state>*;

bool caseless_equal(const std::string& a, const char* b) {
  return std::equal(a.begin(), a.end(), b, b + std::strlen(b), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

caf::behavior bot_caller(self_ptr self, std::shared_ptr<bot_transport> transport) {
  self->state.transport = std::move(transport);
  return {
      [=](bot_event_atom, const code_target_ptr& target, std::int64_t event_id,
          std::string& body) -> caf::result<bot_reply> {
        auto id = ++self->state.next_id;
        auto rp = self->make_response_promise();
        self->state.pending.emplace(id, rp);
        auto headers = event_headers(target->secret, event_id, unix_now(), body);
        // The answer comes on a network thread: it only sends a message back here.
        caf::actor me = caf::actor_cast<caf::actor>(self);
        self->state.transport->request(
            "POST", target->url, std::move(headers), std::move(body), target->timeout,
            [me, id](bot_reply r) { caf::anon_send(me, bot_done_atom::value, id, std::move(r)); });
        return rp;
      },
      [=](bot_http_atom, bot::fetch_request& r) -> caf::result<bot_reply> {
        auto id = ++self->state.next_id;
        auto rp = self->make_response_promise();
        self->state.pending.emplace(id, rp);
        std::vector<std::pair<std::string, std::string>> headers;
        bool typed = false;
        for (auto& h : r.headers) {
          typed = typed || caseless_equal(h.name, "content-type");
          headers.emplace_back(std::move(h.name), std::move(h.value));
        }
        if (!r.body.empty() && !typed) headers.emplace_back("Content-Type", "application/json");
        caf::actor me = caf::actor_cast<caf::actor>(self);
        self->state.transport->request(
            r.method, r.url, std::move(headers), std::move(r.body), r.timeout,
            [me, id](bot_reply r) { caf::anon_send(me, bot_done_atom::value, id, std::move(r)); });
        return rp;
      },
      [=](bot_done_atom, std::uint64_t id, bot_reply& r) {
        auto it = self->state.pending.find(id);
        if (it == self->state.pending.end()) return;
        it->second.deliver(std::move(r));
        self->state.pending.erase(it);
      },
  };
}

}  // namespace

std::vector<std::pair<std::string, std::string>> event_headers(const std::string& secret,
                                                               std::int64_t event_id,
                                                               std::int64_t timestamp,
                                                               const std::string& body) {
  auto ts = std::to_string(timestamp);
  return {{"Content-Type", "application/json"},
          {"Paige-Contract", std::to_string(bot::contract_version)},
          {"Paige-Event", std::to_string(event_id)},
          {"Paige-Timestamp", ts},
          {"Paige-Signature", "sha256=" + secrets::hmac_sha256_hex(secret, ts + "." + body)}};
}

caf::actor spawn_bot_caller(caf::actor_system& sys, std::shared_ptr<bot_transport> transport) {
  return sys.spawn(bot_caller, std::move(transport));
}

}  // namespace paige::actors
