// api/web/openapi.json against the router: every route documented, every documented operation a
// route, each path's parameters declared; and the document is the one the binary embeds.
#include "actors/system_config.hpp"
#include "api/api_docs.hpp"
#include "api/api_routes.hpp"
#include "api/auth.hpp"
#include "api/web_assets.hpp"
#include "common/metrics.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace paige;
using json = nlohmann::json;

namespace {

/// Every (METHOD, pattern) the runtime's router serves, built as the runtime builds it (with
/// idle actors: registering a route calls nothing).
std::set<std::pair<std::string, std::string>> served_routes() {
  caf::actor_system_config cfg;
  actors::configure_actor_system(cfg, 1);
  caf::actor_system sys{cfg};
  metrics::registry registry;
  api::authenticator auth{"admin-key-0123456789", sys, caf::actor{}};
  api::router routes;
  api::project_routes_context projects{&sys, caf::actor{}, &auth, 32};
  api::webhook_context webhooks{&sys, nullptr, caf::actor{}, "secret", "verify", &registry};
  api::add_api_routes(routes, {[](auto done) { done(true, ""); }, &registry, projects, webhooks});
  auto listed = routes.list();
  return {listed.begin(), listed.end()};
}

json document() { return json::parse(*api::embedded_file("openapi.json")); }

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

TEST_CASE("openapi: the document and the router list the same operations", "[openapi]") {
  auto doc = document();
  CHECK(doc["openapi"] == "3.1.0");
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) documented.emplace(upper(method), path);
  auto served = served_routes();
  for (const auto& r : served) {
    INFO(r.first << " " << r.second << " is served but not documented");
    CHECK(documented.count(r));
  }
  for (const auto& d : documented) {
    INFO(d.first << " " << d.second << " is documented but not served");
    CHECK(served.count(d));
  }
}

TEST_CASE("openapi: each operation declares its path parameters and its answers", "[openapi]") {
  auto doc = document();
  for (const auto& [path, item] : doc["paths"].items()) {
    std::set<std::string> in_path;
    for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1))
      in_path.insert(path.substr(at + 1, path.find('}', at) - at - 1));
    for (const auto& [method, op] : item.items()) {
      INFO(method << " " << path);
      std::set<std::string> declared;
      for (const auto& p : op.value("parameters", json::array()))
        if (p["in"] == "path") {
          CHECK(p["required"] == true);
          declared.insert(p["name"].get<std::string>());
        }
      CHECK(declared == in_path);
      REQUIRE(op.contains("responses"));
      CHECK_FALSE(op["responses"].empty());
      CHECK(op.contains("summary"));
    }
  }
}

TEST_CASE("openapi: the binary embeds api/web/openapi.json as it is in the sources", "[openapi]") {
  std::ifstream file{PAIGE_SOURCE_DIR "/api/web/openapi.json", std::ios::binary};
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  CHECK(text.str() == std::string{*api::embedded_file("openapi.json")});
}

TEST_CASE("openapi: /docs shows every operation and schema, and escapes the document's text",
          "[openapi]") {
  auto doc = document();
  auto page = api::render_api_docs(doc);
  for (const auto& [path, item] : doc["paths"].items()) {
    INFO(path);
    CHECK(page.find(api::escape_html(path)) != std::string::npos);
  }
  for (const auto& [name, schema] : doc["components"]["schemas"].items())
    CHECK(page.find("id=\"schema-" + name + "\"") != std::string::npos);
  CHECK(page.find("<script") == std::string::npos);

  doc["paths"]["/v1/projects"]["get"]["summary"] = "<img src=x onerror=alert(1)>";
  doc["info"]["title"] = "</title><script>alert(1)</script>";
  auto hostile = api::render_api_docs(doc);
  CHECK(hostile.find("<img") == std::string::npos);
  CHECK(hostile.find("<script") == std::string::npos);
  CHECK(hostile.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
}

TEST_CASE("pages: no inline script, handler or style, and every asset they name is embedded",
          "[web]") {
  std::regex inline_script{R"(<script(?![^>]*\ssrc=)[^>]*>)", std::regex::icase};
  std::regex handler{R"(\son[a-z]+\s*=)", std::regex::icase};
  std::regex inline_style{R"(\sstyle\s*=|<style)", std::regex::icase};
  std::regex asset{R"re((?:href|src)="(/assets/[^"]+)")re"};
  int pages = 0;
  for (const auto& [name, bytes] : api::embedded_files()) {
    std::string text{bytes};
    if (name.size() < 5 || name.substr(name.size() - 5) != ".html") continue;
    ++pages;
    INFO(name);
    CHECK_FALSE(std::regex_search(text, inline_script));
    CHECK_FALSE(std::regex_search(text, handler));
    CHECK_FALSE(std::regex_search(text, inline_style));
    CHECK(text.find("javascript:") == std::string::npos);
    for (std::sregex_iterator it{text.begin(), text.end(), asset}, end; it != end; ++it) {
      INFO((*it)[1].str());
      CHECK(api::embedded_file((*it)[1].str().substr(1)) != nullptr);
    }
  }
  CHECK(pages >= 1);
}
