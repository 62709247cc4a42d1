#include "actors/core/project_rules.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::storage;
using json = nlohmann::json;

TEST_CASE("project names are data: anything printable within 200 characters", "[projects]") {
  CHECK_FALSE(invalid_name_reason("Acme"));
  CHECK_FALSE(invalid_name_reason("Robert'); DROP TABLE projects;--"));
  CHECK_FALSE(invalid_name_reason("\"quoted\" \\ back"));
  CHECK_FALSE(invalid_name_reason("Café ☕ 日本"));
  CHECK_FALSE(invalid_name_reason(std::string(200, 'x')));
  std::string two_hundred_snowmen;
  for (int i = 0; i < 200; ++i) two_hundred_snowmen += "☃";
  CHECK_FALSE(invalid_name_reason(two_hundred_snowmen));  // 600 bytes, 200 characters

  CHECK(*invalid_name_reason("") == "name must not be empty");
  CHECK(*invalid_name_reason("   ") == "name must not be empty");
  CHECK_THAT(*invalid_name_reason(std::string(201, 'x')), Catch::Contains("longer than 200"));
  CHECK_THAT(*invalid_name_reason(std::string(10000, 'x')), Catch::Contains("longer than 200"));
  CHECK_THAT(*invalid_name_reason("a\nb"), Catch::Contains("control characters"));
  CHECK_THAT(*invalid_name_reason(std::string{"a\0b", 3}), Catch::Contains("control characters"));
}

TEST_CASE("settings are validated, merged and completed with defaults", "[projects]") {
  CHECK_FALSE(invalid_settings_reason(json::object()));
  CHECK_FALSE(invalid_settings_reason({{"messages_per_second", 20}}));
  CHECK_FALSE(invalid_settings_reason({{"messages_per_second", nullptr}}));
  CHECK_THAT(*invalid_settings_reason(json::array()), Catch::Contains("JSON object"));
  CHECK_THAT(*invalid_settings_reason({{"mesages_per_second", 20}}),
             Catch::Contains("unknown setting"));
  CHECK_THAT(*invalid_settings_reason({{"messages_per_second", "20"}}), Catch::Contains("integer"));
  CHECK_THAT(*invalid_settings_reason({{"messages_per_second", 0}}),
             Catch::Contains("between 1 and 1000"));
  CHECK_THAT(*invalid_settings_reason({{"conversation_timeout_seconds", 1.5}}),
             Catch::Contains("integer"));

  auto stored = merge_settings(json::object(), {{"messages_per_second", 20}});
  CHECK(stored == json{{"messages_per_second", 20}});
  CHECK(effective_settings(stored) == json{{"messages_per_second", 20},
                                           {"conversation_timeout_seconds", 86400},
                                           {"database_quota_mb", 1024},
                                           {"temp_file_limit_mb", 1024}});
  CHECK_THAT(*invalid_settings_reason({{"database_quota_mb", 0}}),
             Catch::Contains("between 1 and 1048576"));
  CHECK(merge_settings(stored, {{"messages_per_second", nullptr}}) == json::object());
  CHECK(effective_settings(json::object())["messages_per_second"] == 80);
}

TEST_CASE("lifecycle requests follow the state machine", "[projects]") {
  CHECK_FALSE(refused_transition(project_status::active, project_request::pause));
  CHECK(refused_transition(project_status::paused, project_request::pause)->first ==
        paige::api_code::project_not_active);
  CHECK(refused_transition(project_status::provisioning, project_request::pause)->first ==
        paige::api_code::project_not_active);
  CHECK(refused_transition(project_status::failed, project_request::pause)->first ==
        paige::api_code::project_not_active);
  CHECK_FALSE(refused_transition(project_status::paused, project_request::resume));
  CHECK(refused_transition(project_status::active, project_request::resume)->first ==
        paige::api_code::project_not_paused);
  for (auto s : {project_status::active, project_status::paused, project_status::failed,
                 project_status::deleting})
    CHECK_FALSE(refused_transition(s, project_request::remove));
  CHECK(refused_transition(project_status::provisioning, project_request::remove)->first ==
        paige::api_code::project_provisioning);
}

TEST_CASE("a project status has one name, stored and shown", "[projects]") {
  for (auto s : {project_status::provisioning, project_status::active, project_status::paused,
                 project_status::failed, project_status::deleting, project_status::deleted})
    CHECK(parse_project_status(to_string(s)) == s);
  CHECK(to_string(project_status::paused) == "paused");
  CHECK_FALSE(parse_project_status("Active"));
  CHECK_FALSE(parse_project_status(""));
  CHECK(is_ready(project_status::active));
  CHECK(is_ready(project_status::paused));
  CHECK_FALSE(is_ready(project_status::provisioning));
  CHECK_FALSE(is_ready(project_status::deleting));
}
