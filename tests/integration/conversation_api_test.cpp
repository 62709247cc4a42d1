// The contacts and conversations reads after a scripted exchange, through the real binaries.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace paige::test;

TEST_CASE("contacts, conversations, messages and state counts are exactly what happened",
          "[integration][conversations]") {
  pipeline p;
  // Ada books (collect_info), Grace asks for support, Linus just says hello (unstructured).
  p.say("15550050", "hello", "Ada");
  p.send("15550050", tap("book", "Book"));
  p.say("15550051", "hi", "Grace");
  p.send("15550051", tap("support", "Support"));
  p.say("15550052", "hey", "Linus");
  p.replies("15550052", 1);
  auto base = "/v1/projects/" + p.project;

  auto contacts = p.s.call("GET", base + "/contacts");
  REQUIRE(contacts.status == 200);
  REQUIRE(contacts.body["items"].size() == 3);
  CHECK(contacts.body["items"][0]["name"] == "Linus");  // newest first
  CHECK(contacts.body["next_cursor"].is_null());
  auto ada = p.s.call("GET", base + "/contacts?search=ada").body["items"];
  REQUIRE(ada.size() == 1);
  CHECK(ada[0]["wa_id"] == "15550050");
  CHECK(p.s.call("GET", base + "/contacts?search=1555005").body["items"].size() == 3);
  CHECK(p.s.call("GET", base + "/contacts?search=%25")
            .body["items"]
            .empty());  // LIKE characters are data
  auto ada_id = std::to_string(ada[0]["id"].get<long>());
  CHECK(p.s.call("GET", base + "/contacts/" + ada_id).body["name"] == "Ada");

  auto states = p.s.call("GET", base + "/conversations/states").body["items"];
  std::map<std::string, int> counts;
  for (const auto& s : states) counts[s["state"]] = s["count"];
  CHECK(counts ==
        std::map<std::string, int>{{"collect_info", 1}, {"support", 1}, {"unstructured", 1}});

  auto booking =
      p.s.call("GET", base + "/conversations?state=collect_info,support&status=open").body["items"];
  REQUIRE(booking.size() == 2);
  std::set<std::string> who;
  for (const auto& c : booking) who.insert(c["contact"]["name"]);
  CHECK(who == std::set<std::string>{"Ada", "Grace"});
  CHECK(booking[0]["service_window_ends_at"].is_string());
  CHECK(p.s.call("GET", base + "/conversations?status=closed").body["items"].empty());
  // The list finds conversations by their contact's name or wa_id, with the other filters.
  auto graces = p.s.call("GET", base + "/conversations?search=grA").body["items"];
  REQUIRE(graces.size() == 1);
  CHECK(graces[0]["contact"]["name"] == "Grace");
  CHECK(p.s.call("GET", base + "/conversations?search=15550052")
            .body["items"][0]["contact"]["name"] == "Linus");
  CHECK(p.s.call("GET", base + "/conversations?search=1555005").body["items"].size() == 3);
  CHECK(p.s.call("GET", base + "/conversations?search=ada&state=support").body["items"].empty());
  CHECK(p.s.call("GET", base + "/conversations?search=_").body["items"].empty());
  // A search is a name or a number: 256 characters at most, counted as characters.
  std::string longest;
  for (int i = 0; i < 256; ++i) longest += "%C3%A9";  // é
  CHECK(p.s.call("GET", base + "/conversations?search=" + longest).status == 200);
  CHECK(p.s.call("GET", base + "/contacts?search=" + longest).status == 200);
  for (const auto* list : {"/conversations", "/contacts"}) {
    auto too_long = p.s.call("GET", base + list + "?search=" + longest + "x");
    CHECK(too_long.status == 422);
    CHECK(too_long.body["error"]["code"] == "invalid_search");
  }
  auto conv_id = std::to_string(booking[0]["id"].get<long>());
  CHECK(p.s.call("GET", base + "/conversations/" + conv_id).body["state"].is_string());

  auto ada_convs = p.s.call("GET", base + "/contacts/" + ada_id + "/conversations").body["items"];
  REQUIRE(ada_convs.size() == 1);
  CHECK(ada_convs[0]["state"] == "collect_info");
  auto ada_msgs = p.s.call("GET", base + "/contacts/" + ada_id + "/messages").body["items"];
  REQUIRE(ada_msgs.size() == 4);  // hello, the buttons, Book, "What's your name?"
  CHECK(ada_msgs[3]["content"]["text"]["body"] == "hello");

  // Pages return every row once.
  std::set<long> seen;
  std::string path = base + "/contacts?limit=1";
  for (int i = 0; i < 10; ++i) {
    auto r = p.s.call("GET", path);
    for (const auto& c : r.body["items"]) CHECK(seen.insert(c["id"].get<long>()).second);
    if (r.body["next_cursor"].is_null()) break;
    path = base + "/contacts?limit=1&cursor=" + r.body["next_cursor"].get<std::string>();
  }
  CHECK(seen.size() == 3);

  // Bad input and other projects.
  CHECK(p.s.call("GET", base + "/contacts/999").body["error"]["code"] == "contact_not_found");
  CHECK(p.s.call("GET", base + "/contacts/x").status == 404);
  CHECK(p.s.call("GET", base + "/conversations/999").body["error"]["code"] ==
        "conversation_not_found");
  CHECK(p.s.call("GET", base + "/conversations?status=maybe").body["error"]["code"] ==
        "invalid_status");
  CHECK(p.s.call("GET", base + "/contacts?cursor=zz").body["error"]["code"] == "invalid_cursor");
  auto other = p.s.create("Other")["id"].get<std::string>();
  auto key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                 .body["key"]
                 .get<std::string>();
  CHECK(p.s.call("GET", base + "/contacts", "", key).status == 404);
  CHECK(p.s.call("GET", base + "/conversations", "", key).status == 404);
}
