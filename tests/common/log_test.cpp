#include "common/log.hpp"

#include <catch2/catch.hpp>

using namespace paige::log;

TEST_CASE("events are key=value on one line", "[log]") {
  CHECK(format_event("http.listening",
                     {{"addr", "127.0.0.1:8080"}, {"threads", 2}, {"tls", false}}) ==
        "event=http.listening addr=127.0.0.1:8080 threads=2 tls=false");
}

TEST_CASE("values that would break the line or the pairs are quoted and escaped", "[log]") {
  CHECK(quote_value("plain") == "plain");
  CHECK(quote_value("") == "\"\"");
  CHECK(quote_value("two words") == "\"two words\"");
  CHECK(quote_value("a=b") == "\"a=b\"");
  CHECK(quote_value("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(quote_value("line1\nline2\r\t") == "\"line1\\nline2\\r\\t\"");
  CHECK(quote_value(std::string{"nul\0x", 5}) == "\"nul\\x00x\"");
  auto line = format_event("x", {{"reason", "multi\nline"}});
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("passwords are removed from database URLs", "[log]") {
  CHECK(redact_url("postgresql://paige:hunter2@db.local:5432/paige") ==
        "postgresql://paige:***@db.local:5432/paige");
  CHECK(redact_url("postgresql://paige@db.local/paige") == "postgresql://paige@db.local/paige");
  CHECK(redact_url("host=db user=paige password=hunter2 dbname=paige") ==
        "host=db user=paige password=*** dbname=paige");
  CHECK(redact_url("host=db password='hunter 2' dbname=paige") ==
        "host=db password=*** dbname=paige");
  CHECK(redact_url("postgresql:///paige?host=/tmp&password=hunter2&sslmode=off") ==
        "postgresql:///paige?host=/tmp&password=***&sslmode=off");
}
