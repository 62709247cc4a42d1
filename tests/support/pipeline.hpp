/// @file
/// @brief The simulator, a server, and one active project connected to simulated number 1001.
#pragma once

#include "storage/provisioning.hpp"
#include "tests/support/metasim_process.hpp"
#include "tests/support/project_server.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace paige::test {

inline const std::string number_id = "1001";

/// The simulator, a server, one active project connected to simulated number 1001.
/// The simulator, a server, one active project connected to simulated number 1001.
struct pipeline {
  metasim_process meta;
  project_server s;
  std::string project;

  explicit pipeline(std::vector<std::string> meta_args = {},
                    std::vector<std::string> paige_args = {})
      : meta(std::move(meta_args)), s(with_graph(paige_args, meta.url())) {
    meta.target(s.server->port());
    meta.add_number(number_id, "2001", "token-1001");
    project = s.create("Pipeline")["id"].get<std::string>();
    REQUIRE(s.wait_status(project, "active"));
    auto r = s.call(
        "PUT", "/v1/projects/" + project + "/whatsapp",
        json{{"phone_number_id", number_id}, {"waba_id", "2001"}, {"access_token", "token-1001"}}
            .dump());
    REQUIRE(r.status == 200);
  }

  static std::vector<std::string> with_graph(std::vector<std::string> args,
                                             const std::string& url) {
    args.insert(args.end(), {"--graph-url", url, "--facebook-url", url});
    return args;
  }

  void restart() {
    REQUIRE(s.server->terminate() == 0);
    s.start(master_hex);
    meta.target(s.server->port());
  }

  /// A user sends a message; returns its wamid once Paige acknowledged the webhook.
  std::string send(const std::string& wa_id, const json& message, const std::string& name = "") {
    json body{{"message", message}};
    if (!name.empty()) body["name"] = name;
    auto r = meta.call("POST", "/control/numbers/" + number_id + "/users/" + wa_id + "/messages",
                       body.dump());
    REQUIRE(r.status == 200);
    REQUIRE(r.body["delivered"] == true);
    return r.body["wamid"];
  }

  std::string say(const std::string& wa_id, const std::string& text, const std::string& name = "") {
    return send(wa_id, {{"type", "text"}, {"text", {{"body", text}}}}, name);
  }

  /// `contacts` users (wa_id `prefix` + 1000 + i) each write "m0" ... "m<per_contact - 1>", in
  /// order, from 10 threads that interleave their contacts; returns how many failed.
  int write_concurrently(const std::string& prefix, int contacts, int per_contact) {
    std::vector<std::thread> senders;
    std::atomic<int> failures{0};
    int per_thread = (contacts + 9) / 10;
    for (int t = 0; t < 10; ++t)
      senders.emplace_back([&, t] {
        for (int i = 0; i < per_contact; ++i)
          for (int c = t * per_thread; c < std::min(contacts, (t + 1) * per_thread); ++c) {
            auto r = meta.call(
                "POST",
                "/control/numbers/" + number_id + "/users/" + prefix + std::to_string(1000 + c) +
                    "/messages",
                json{{"message", {{"type", "text"}, {"text", {{"body", "m" + std::to_string(i)}}}}}}
                    .dump());
            if (r.status != 200 || r.body["delivered"] != true) ++failures;
          }
      });
    for (auto& t : senders) t.join();
    return failures;
  }

  /// The simulator's records for a user with `direction`.
  json records(const std::string& wa_id, const std::string& direction) {
    auto r =
        meta.call("GET", "/control/numbers/" + number_id + "/users/" + wa_id + "/messages?after=0");
    json out = json::array();
    for (const auto& item : r.body["items"])
      if (item["direction"] == direction) out.push_back(item);
    return out;
  }

  /// Waits until the user received `count` messages from the business; returns them.
  json replies(const std::string& wa_id, std::size_t count) {
    json out;
    wait_until([&] {
      out = records(wa_id, "out");
      return out.size() >= count;
    });
    return out;
  }

  pqxx::connection project_db() {
    auto d = s.database_of(project);
    return pqxx::connection{
        paige::storage::project_conninfo(cluster_conninfo(), {d.name, d.role, d.password})};
  }

  /// The error recorded on the inbound text message `text` (null: none, or no such message).
  json message_error(const std::string& text) {
    auto db = project_db();
    pqxx::read_transaction tx{db};
    auto r = tx.exec_params(
        "SELECT coalesce(error::text, 'null') FROM messages WHERE direction = 'in' AND "
        "content->'text'->>'body' = $1",
        text);
    return r.empty() ? json() : json::parse(r[0][0].as<std::string>());
  }

  /// How many outbound messages have `status` in the project database.
  long count_out(const std::string& status) {
    auto db = project_db();
    pqxx::read_transaction tx{db};
    return tx
        .exec_params1("SELECT count(*) FROM messages WHERE direction = 'out' AND status = $1",
                      status)[0]
        .as<long>();
  }

  void put_bot(const json& bot) {
    REQUIRE(s.call("PUT", "/v1/projects/" + project + "/bot", bot.dump()).status == 201);
  }

  double metric(const std::string& line_prefix) {
    auto text = http_request(s.server->port(), "GET", "/metrics").body;
    auto at = text.find("\n" + line_prefix + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + line_prefix.size() + 2));
  }
};

/// A user's tap on a reply button, as the Cloud API delivers it.
inline json tap(const std::string& id, const std::string& title) {
  return {{"type", "interactive"},
          {"interactive",
           {{"type", "button_reply"}, {"button_reply", {{"id", id}, {"title", title}}}}}};
}

inline std::string body_of(const json& record) {
  const auto& m = record["message"];
  if (m.contains("text")) return m["text"]["body"];
  if (m.contains("interactive")) return m["interactive"]["body"]["text"];
  return {};
}

}  // namespace paige::test
