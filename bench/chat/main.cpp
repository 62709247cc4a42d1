// paige-chat: talk to a project's bot as a simulated WhatsApp user, through paige-metasim.
//   paige-chat [--sim URL] [--number ID] [--user WA_ID] [--name NAME] [message]
// With a message: sends it and prints the replies. Without: reads lines from stdin. Typing
// the title of a button (or list row) the bot offered taps it.
#include "api/http_client.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>
#include <map>
#include <string>

using json = nlohmann::json;

namespace {

struct options {
  std::string sim = "http://127.0.0.1:9090";
  std::string number = "1001";
  std::string user = "15550009999";
  std::string name = "You";
  std::string message;
};

json call(paige::api::http_client& client, const std::string& method, const std::string& url,
          const json& body = {}) {
  std::promise<paige::api::client_response> p;
  client.request(method, url, {{"Content-Type", "application/json"}},
                 body.is_null() ? "" : body.dump(),
                 [&p](paige::api::client_response r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  if (r.status == 0)
    throw std::runtime_error("cannot reach the simulator at " + url + ": " + r.error);
  return json::parse(r.body, nullptr, false);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// Prints a reply; remembers the choices it offered (title → (kind, id)).
void show(const json& m, std::map<std::string, std::pair<std::string, std::string>>& choices) {
  auto type = m.value("type", "");
  if (type == "text") {
    std::cout << "bot: " << m["text"].value("body", "") << "\n";
  } else if (type == "interactive") {
    const auto& i = m["interactive"];
    std::cout << "bot: " << i.value("body", json::object()).value("text", "");
    choices.clear();
    for (const auto& b : i.value("action", json::object()).value("buttons", json::array())) {
      auto title = b["reply"].value("title", "");
      choices[lower(title)] = {"button_reply", b["reply"].value("id", "")};
      std::cout << "  [" << title << "]";
    }
    for (const auto& s : i.value("action", json::object()).value("sections", json::array()))
      for (const auto& row : s.value("rows", json::array())) {
        auto title = row.value("title", "");
        choices[lower(title)] = {"list_reply", row.value("id", "")};
        std::cout << "  [" << title << "]";
      }
    std::cout << "\n";
  } else {
    std::cout << "bot: (" << type << ") " << m.dump() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--sim")
        o.sim = next();
      else if (a == "--number")
        o.number = next();
      else if (a == "--user")
        o.user = next();
      else if (a == "--name")
        o.name = next();
      else if (a == "--help" || a == "-h") {
        std::cout << "usage: paige-chat [--sim URL] [--number ID] [--user WA_ID] [--name NAME] "
                     "[message]\n";
        return 0;
      } else
        o.message += (o.message.empty() ? "" : " ") + a;
    } catch (const std::exception& e) {
      std::cerr << "paige-chat: " << e.what() << "\n";
      return 2;
    }
  }
  paige::api::http_client client;
  std::map<std::string, std::pair<std::string, std::string>> choices;
  auto base = o.sim + "/control/numbers/" + o.number + "/users/" + o.user + "/messages";
  try {
    std::uint64_t seen = call(client, "GET", base + "?after=0").value("last_seq", 0);
    auto say = [&](const std::string& text) {
      json message;
      auto choice = choices.find(lower(text));
      if (choice != choices.end()) {
        auto [kind, id] = choice->second;
        message = {{"type", "interactive"},
                   {"interactive", {{"type", kind}, {kind, {{"id", id}, {"title", text}}}}}};
      } else {
        message = {{"type", "text"}, {"text", {{"body", text}}}};
      }
      auto sent = call(client, "POST", base, {{"name", o.name}, {"message", message}});
      if (!sent.value("delivered", false)) std::cout << "(the webhook was not acknowledged)\n";
      // Print replies until the bot has been quiet for a moment.
      for (int quiet = 0; quiet < 2;) {
        auto page = call(client, "GET", base + "?after=" + std::to_string(seen) + "&wait_ms=700");
        bool any = false;
        for (const auto& r : page.value("items", json::array())) {
          seen = std::max<std::uint64_t>(seen, r.value("seq", 0));
          if (r.value("direction", "") == "out") {
            show(r["message"], choices);
            any = true;
          }
        }
        quiet = any ? 0 : quiet + 1;
      }
    };
    if (!o.message.empty()) {
      say(o.message);
      return 0;
    }
    std::cout << "Chatting as " << o.user << " with number " << o.number << ". Ctrl-D ends.\n";
    std::string line;
    while (std::cout << "you: " << std::flush, std::getline(std::cin, line))
      if (!line.empty()) say(line);
    client.stop();
  } catch (const std::exception& e) {
    std::cerr << "paige-chat: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
