#include "actors/core/secret_rules.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;

TEST_CASE("a secret's name is an environment variable a project may set", "[secrets]") {
  for (const char* ok : {"OPENAI_API_KEY", "_X", "A", "STRIPE_KEY_2"})
    CHECK_FALSE(secret_name_problem(ok));
  CHECK_FALSE(secret_name_problem(std::string(64, 'K')));
  for (const char* bad : {"", "lower", "2FA_KEY", "WITH-DASH", "WITH SPACE", "ÄPI", "A=B"})
    CHECK(secret_name_problem(bad));
  CHECK(secret_name_problem(std::string(65, 'K')));
  CHECK(secret_name_problem("PAIGE_API_KEY")->find("Paige's own") != std::string::npos);
  CHECK(secret_name_problem("DATABASE_URL")->find("set by Paige") != std::string::npos);
  CHECK(secret_name_problem("NODE_OPTIONS"));
  CHECK(secret_name_problem("LD_PRELOAD"));
}

TEST_CASE("a secret's value fits an environment variable", "[secrets]") {
  CHECK_FALSE(secret_value_problem(""));
  CHECK_FALSE(secret_value_problem(std::string(max_secret_bytes, 'v')));
  CHECK(secret_value_problem(std::string(max_secret_bytes + 1, 'v')));
  CHECK(secret_value_problem(std::string{"a\0b", 3})->find("NUL") != std::string::npos);
}
