// The number's WhatsApp Business profile through the real binaries: read from and written to
// the simulator, checked against Meta's limits before Meta is called, Meta's refusals.
#include "tests/support/http_client.hpp"
#include "tests/support/images.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <future>
#include <set>

using namespace paige::test;

namespace {

/// The profile as the simulator (Meta's side) keeps it.
json meta_profile(pipeline& p) {
  auto r = json_request(p.meta.port(), "GET", "/v21.0/" + number_id + "/whatsapp_business_profile",
                        "", "token-1001");
  REQUIRE(r.status == 200);
  return r.body["data"][0];
}

}  // namespace

TEST_CASE("the business profile is read from Meta and changed there", "[integration][profile]") {
  pipeline p;
  auto path = "/v1/projects/" + p.project + "/whatsapp/profile";
  auto fresh = p.s.call("GET", path);
  REQUIRE(fresh.status == 200);
  CHECK(fresh.body == json{{"about", ""},
                           {"address", ""},
                           {"description", ""},
                           {"email", ""},
                           {"vertical", ""},
                           {"websites", json::array()},
                           {"profile_picture_url", nullptr}});

  json change{{"about", "Open 9–17, Mon–Fri"},
              {"address", "1 Main St, Springfield"},
              {"description", "A small clinic"},
              {"email", "desk@clinic.example"},
              {"websites", {"https://clinic.example", "http://clinic.example/book"}},
              {"vertical", "HEALTH"}};
  auto changed = p.s.call("PATCH", path, change.dump());
  REQUIRE(changed.status == 200);
  for (const auto& [key, value] : change.items()) CHECK(changed.body[key] == value);
  CHECK(p.s.call("GET", path).body == changed.body);
  auto kept = meta_profile(p);
  CHECK(kept["about"] == "Open 9–17, Mon–Fri");
  CHECK(kept["vertical"] == "HEALTH");

  // A partial change leaves the other fields as they are.
  auto partial = p.s.call("PATCH", path, R"({"about": "Closed for the holidays"})");
  REQUIRE(partial.status == 200);
  CHECK(partial.body["about"] == "Closed for the holidays");
  CHECK(partial.body["email"] == "desk@clinic.example");

  // The project's own key may do the same; another project's key sees no such project.
  auto own = p.s.call("POST", "/v1/projects/" + p.project + "/keys", R"({"name":"k"})");
  auto key = own.body["key"].get<std::string>();
  CHECK(p.s.call("GET", path, "", key).status == 200);
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto other_key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                       .body["key"]
                       .get<std::string>();
  CHECK(p.s.call("GET", path, "", other_key).status == 404);
  CHECK(p.s.call("PATCH", path, R"({"about":"mine now"})", other_key).status == 404);
  // A project without a number has no profile.
  auto none = p.s.call("GET", "/v1/projects/" + other + "/whatsapp/profile");
  CHECK(none.status == 409);
  CHECK(none.body["error"]["code"] == "whatsapp_not_connected");
}

TEST_CASE("a profile change past Meta's limits is refused before Meta sees it",
          "[integration][profile]") {
  pipeline p;
  auto path = "/v1/projects/" + p.project + "/whatsapp/profile";
  REQUIRE(p.s.call("PATCH", path, R"({"about": "Before"})").status == 200);
  struct bad {
    json patch;
    std::string field;
  };
  const std::vector<bad> cases{
      {{{"about", std::string(140, 'a')}}, "about"},
      {{{"about", ""}}, "about"},
      {{{"address", std::string(257, 'a')}}, "address"},
      {{{"description", std::string(513, 'a')}}, "description"},
      {{{"email", "not an address"}}, "email"},
      {{{"websites", {"https://a.example", "https://b.example", "https://c.example"}}}, "websites"},
      {{{"websites", {"clinic.example"}}}, "websites"},
      {{{"vertical", "SPACE"}}, "vertical"},
      {{{"profile_picture_handle", "x"}}, "profile_picture_handle"},
      {{{"about", "fine"}, {"email", 7}}, "email"},
  };
  for (const auto& c : cases) {
    INFO(c.patch.dump());
    auto r = p.s.call("PATCH", path, c.patch.dump());
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "invalid_profile");
    CHECK(r.body["error"]["details"]["field"] == c.field);
    CHECK_FALSE(r.body["error"]["details"]["problems"].empty());
  }
  CHECK(p.s.call("PATCH", path, "{broken").status == 400);
  CHECK(p.s.call("PATCH", path, "{}").status == 422);
  CHECK(meta_profile(p)["about"] == "Before");  // Meta was never called
}

TEST_CASE("Meta refusing the token, or unreachable, is told apart, and the token stays secret",
          "[integration][profile]") {
  pipeline p;
  auto path = "/v1/projects/" + p.project + "/whatsapp/profile";
  // The token is revoked at Meta: the number's token there is another one now.
  auto revoked = p.meta.call(
      "PUT", "/control/numbers/" + number_id,
      json{{"waba_id", "2001"}, {"display_phone_number", "15551001"}, {"access_token", "rotated"}}
          .dump());
  REQUIRE(revoked.status == 200);
  auto refused = p.s.call("GET", path);
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "whatsapp_token_invalid");
  auto refused_change = p.s.call("PATCH", path, R"({"about": "x"})");
  CHECK(refused_change.body["error"]["code"] == "whatsapp_token_invalid");
  CHECK(refused.body.dump().find("token-1001") == std::string::npos);
  CHECK(p.s.server->process().stderr_text().find("token-1001") == std::string::npos);
  CHECK(p.s.server->process().stdout_text().find("token-1001") == std::string::npos);

  // Meta unreachable: a gateway error, not a refusal.
  p.meta.process().signal(SIGKILL);
  REQUIRE(p.meta.process().wait_exit(std::chrono::seconds{10}));
  auto down = p.s.call("GET", path);
  CHECK(down.status == 502);
  CHECK(down.body["error"]["code"] == "graph_unavailable");
}

TEST_CASE("one profile request at a time per project: the next is told to retry",
          "[integration][profile]") {
  pipeline p;
  auto path = "/v1/projects/" + p.project + "/whatsapp/profile";
  // Meta answers slowly: the first read is still with it when the second comes.
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"latency_ms": 1500})").status == 200);
  auto a = std::async(std::launch::async, [&] { return p.s.call("GET", path); });
  auto b = std::async(std::launch::async, [&] { return p.s.call("GET", path); });
  auto first = a.get();
  auto second = b.get();
  std::multiset<unsigned> statuses{first.status, second.status};
  CHECK(statuses == std::multiset<unsigned>{200, 429});
  auto refused = first.status == 429 ? first : second;
  CHECK(refused.body["error"]["code"] == "profile_busy");
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"latency_ms": 0})").status == 200);
  CHECK(p.s.call("GET", path).status == 200);  // free again
}

TEST_CASE("the profile photo is checked, uploaded through Meta's Resumable Upload API and set",
          "[integration][whatsapp][profile]") {
  pipeline p{{"--app-id", "4242"}, {"--app-id", "4242"}};
  auto path = "/v1/projects/" + p.project + "/whatsapp/profile/photo";
  auto put = [&](const std::string& bytes, const std::string& type) {
    return http_request(p.s.server->port(), "PUT", path, bytes,
                        {{"Authorization", "Bearer " + admin_key}, {"Content-Type", type}});
  };
  auto set = put(paige::test::png_of(640, 640), "image/png");
  REQUIRE(set.status == 200);
  auto profile = json::parse(set.body);
  CHECK(profile["profile_picture_url"].get<std::string>().find("https://pps.whatsapp.net/") == 0);
  CHECK(p.meta.call("GET", "/control/stats").body.value("uploads_finished", 0) == 1);
  CHECK(put(paige::test::jpeg_of(800, 600), "Image/JPEG ; name=logo").status == 200);

  // Refused before Meta is asked: not an image, too small, a type that is not the bytes'.
  for (auto [bytes, type] : std::vector<std::pair<std::string, std::string>>{
           {"GIF89a", "image/gif"},
           {paige::test::png_of(100, 100), "image/png"},
           {paige::test::png_of(640, 640), "image/jpeg"},
           {"", "image/png"}}) {
    auto r = put(bytes, type);
    CHECK(r.status == 422);
    CHECK(json::parse(r.body)["error"]["code"] == "invalid_photo");
  }
  CHECK(p.meta.call("GET", "/control/stats").body.value("uploads_finished", 0) == 2);

  // Meta refusing the upload: its error, the profile unchanged.
  auto before = p.s.call("GET", "/v1/projects/" + p.project + "/whatsapp/profile");
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"upload_error": 100})").status == 200);
  auto refused = put(paige::test::png_of(640, 640), "image/png");
  CHECK(refused.status == 422);
  CHECK(json::parse(refused.body)["error"]["code"] == "whatsapp_rejected");
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"upload_error": 0})").status == 200);
  auto after = p.s.call("GET", "/v1/projects/" + p.project + "/whatsapp/profile");
  CHECK(after.body["profile_picture_url"] == before.body["profile_picture_url"]);
}

TEST_CASE("without the Meta app id no photo can be uploaded", "[integration][whatsapp][profile]") {
  pipeline p;
  auto r = http_request(p.s.server->port(), "PUT",
                        "/v1/projects/" + p.project + "/whatsapp/profile/photo",
                        paige::test::png_of(640, 640),
                        {{"Authorization", "Bearer " + admin_key}, {"Content-Type", "image/png"}});
  CHECK(r.status == 409);
  CHECK(json::parse(r.body)["error"]["code"] == "app_id_not_configured");
}
