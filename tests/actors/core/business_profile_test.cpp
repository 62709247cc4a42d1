// A business profile change is checked against Meta's limits before Meta sees it.
#include "actors/core/business_profile.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using json = nlohmann::json;

namespace {

std::vector<std::string> pointers(const json& patch) {
  std::vector<std::string> out;
  for (const auto& p : profile::check_patch(patch)) out.push_back(p.pointer);
  return out;
}

}  // namespace

TEST_CASE("a profile change within Meta's limits passes", "[profile]") {
  CHECK(profile::check_patch({{"about", std::string(139, 'a')},
                              {"address", std::string(256, 'b')},
                              {"description", std::string(512, 'c')},
                              {"email", "desk@clinic.example"},
                              {"websites", {"https://clinic.example", "http://x.example/a"}},
                              {"vertical", "HEALTH"}})
            .empty());
  // Characters, not bytes: 139 three-byte characters fit.
  std::string wide;
  for (int i = 0; i < 139; ++i) wide += "\xe2\x82\xac";  // €
  CHECK(profile::check_patch({{"about", wide}}).empty());
  // Clearing is allowed where Meta allows it.
  CHECK(profile::check_patch({{"address", ""}, {"websites", json::array()}, {"vertical", ""}})
            .empty());
}

TEST_CASE("each field past Meta's limits is named by its pointer", "[profile]") {
  CHECK(pointers({{"about", std::string(140, 'a')}}) == std::vector<std::string>{"/about"});
  CHECK(pointers({{"about", ""}}) == std::vector<std::string>{"/about"});
  CHECK(pointers({{"address", std::string(257, 'a')}}) == std::vector<std::string>{"/address"});
  CHECK(pointers({{"description", std::string(513, 'a')}}) ==
        std::vector<std::string>{"/description"});
  CHECK(pointers({{"email", "not-an-address"}}) == std::vector<std::string>{"/email"});
  CHECK(pointers({{"email", std::string(120, 'a') + "@x.example"}}) ==
        std::vector<std::string>{"/email"});
  CHECK(pointers({{"websites", {"https://a.example", "https://b.example", "https://c.example"}}}) ==
        std::vector<std::string>{"/websites"});
  CHECK(pointers({{"websites", {"clinic.example"}}}) == std::vector<std::string>{"/websites/0"});
  CHECK(pointers({{"websites", {"https://a.example", "https://" + std::string(250, 'x')}}}) ==
        std::vector<std::string>{"/websites/1"});
  CHECK(pointers({{"websites", "https://a.example"}}) == std::vector<std::string>{"/websites"});
  CHECK(pointers({{"vertical", "SPACE"}}) == std::vector<std::string>{"/vertical"});
  CHECK(pointers({{"about", 5}}) == std::vector<std::string>{"/about"});
  CHECK(pointers({{"profile_picture_handle", "h"}}) ==
        std::vector<std::string>{"/profile_picture_handle"});
  CHECK(pointers(json::array()) == std::vector<std::string>{""});
  CHECK(pointers(json::object()) == std::vector<std::string>{""});
}

TEST_CASE("Meta's profile answer becomes the API's, every field present", "[profile]") {
  auto shown = profile::from_graph({{"data",
                                     {{{"about", "Open 9-5"},
                                       {"messaging_product", "whatsapp"},
                                       {"websites", {"https://a.example"}}}}}});
  CHECK(shown == json{{"about", "Open 9-5"},
                      {"address", ""},
                      {"description", ""},
                      {"email", ""},
                      {"vertical", ""},
                      {"websites", {"https://a.example"}},
                      {"profile_picture_url", nullptr}});
  CHECK(profile::from_graph(json::object())["websites"] == json::array());
  CHECK(profile::update_body({{"about", "x"}}) ==
        json{{"about", "x"}, {"messaging_product", "whatsapp"}});
}
