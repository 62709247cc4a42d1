// paige-bench's judge: a run with any loss, duplicate, reordering, stray message or wrong final
// status must fail, so the judge is checked on logs that are wrong in each of those ways.
#include "bench/bench/correctness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace paige::bench;

namespace {

/// A contact's log as a correct run stores it: m0, echo: m0, m1, echo: m1, ...
std::vector<stored_message> clean_log(int sent, const std::string& status = "read") {
  std::vector<stored_message> rows;
  for (int i = 0; i < sent; ++i) {
    rows.push_back({true, "m" + std::to_string(i), "received"});
    rows.push_back({false, "echo: m" + std::to_string(i), status});
  }
  return rows;
}

const std::vector<sent_count> two_contacts{{"90000000000", 3}, {"90000000001", 3}};

project_log clean_project() {
  return {{"90000000000", clean_log(3)}, {"90000000001", clean_log(3)}};
}

}  // namespace

TEST_CASE("a load's texts give their index and any other text gives none", "[unit][bench]") {
  CHECK(load_index("m0", "m") == 0);
  CHECK(load_index("echo: m12", "echo: m") == 12);
  CHECK(load_index("echo: m", "echo: m") == -1);
  CHECK(load_index("echo: m1x", "echo: m") == -1);
  CHECK(load_index("m-1", "m") == -1);
  CHECK(load_index("m+1", "m") == -1);
  CHECK(load_index("", "m") == -1);
  CHECK(load_index("echo: m99999999999", "echo: m") == -1);  // beyond int
  CHECK(load_index("hello", "m") == -1);
}

TEST_CASE("a contact's wa_id names its project and contact and nothing else parses",
          "[unit][bench]") {
  int p = -1, c = -1;
  REQUIRE(contact_of(wa_id_of(7, 4321), p, c));
  CHECK(p == 7);
  CHECK(c == 4321);
  CHECK(wa_id_of(7, 4321) == "90070004321");
  CHECK_FALSE(contact_of("15551234567", p, c));
  CHECK_FALSE(contact_of("9007000432", p, c));
  CHECK_FALSE(contact_of("9007000432x", p, c));
}

TEST_CASE("a log with every message and reply once in order and final passes", "[unit][bench]") {
  auto problems = check_log(clean_project(), two_contacts, "read");
  CHECK(problems.ok());
  CHECK(to_json(problems) ==
        nlohmann::json{{"lost", 0},
                       {"duplicated", 0},
                       {"reordered", 0},
                       {"unexpected", 0},
                       {"wrong_final_status", 0},
                       {"wrong_final_status_by_status", nlohmann::json::object()}});
}

TEST_CASE("a missing inbound message or reply is lost", "[unit][bench]") {
  auto log = clean_project();
  log["90000000000"].erase(log["90000000000"].begin() + 2);  // m1
  log["90000000001"].pop_back();                             // echo: m2
  auto problems = check_log(log, two_contacts, "read");
  CHECK_FALSE(problems.ok());
  CHECK(problems.lost == 2);
  CHECK(problems.duplicated == 0);
  CHECK(problems.reordered == 0);

  SECTION("a contact with nothing stored lost all its messages and replies") {
    log.erase("90000000001");
    CHECK(check_log(log, two_contacts, "read").lost == 1 + 6);
  }
}

TEST_CASE("a message or reply stored twice is a duplicate and not also a reordering",
          "[unit][bench]") {
  auto log = clean_project();
  log["90000000000"].push_back({true, "m0", "received"});
  log["90000000001"].push_back({false, "echo: m2", "read"});
  auto problems = check_log(log, two_contacts, "read");
  CHECK(problems.duplicated == 2);
  CHECK(problems.reordered == 0);
  CHECK(problems.lost == 0);
  CHECK_FALSE(problems.ok());
}

TEST_CASE("replies or messages stored out of order are reorderings", "[unit][bench]") {
  auto log = clean_project();
  auto& rows = log["90000000000"];
  std::swap(rows[1], rows[3]);  // echo: m1 stored before echo: m0
  auto problems = check_log(log, two_contacts, "read");
  CHECK(problems.reordered == 1);
  CHECK(problems.lost == 0);
  CHECK(problems.duplicated == 0);

  SECTION("each message stored after a later one counts") {
    log["90000000001"] = {
        {true, "m2", "received"}, {true, "m0", "received"}, {true, "m1", "received"}};
    for (int i = 0; i < 3; ++i)
      log["90000000001"].push_back({false, "echo: m" + std::to_string(i), "read"});
    CHECK(check_log(log, two_contacts, "read").reordered == 1 + 2);
  }
}

TEST_CASE("a reply whose final status is not the expected one is counted by status",
          "[unit][bench]") {
  auto log = clean_project();
  log["90000000000"][1].status = "delivered";
  log["90000000001"][5].status = "failed";
  log["90000000001"][3].status = "delivered";
  auto problems = check_log(log, two_contacts, "read");
  CHECK(problems.wrong_final_status ==
        std::map<std::string, long>{{"delivered", 2}, {"failed", 1}});
  CHECK(to_json(problems)["wrong_final_status"] == 3);
  CHECK_FALSE(problems.ok());
  CHECK(check_log(clean_project(), two_contacts, "delivered").wrong_final_status.at("read") == 6);
}

TEST_CASE("messages nobody sent are unexpected", "[unit][bench]") {
  auto log = clean_project();
  SECTION("a contact the load never had") { log["15550000000"] = clean_log(1); }
  SECTION("a text that is not the load's") {
    log["90000000000"].push_back({true, "hello", "received"});
    log["90000000000"].push_back({false, "", "read"});  // a reply without a text body
  }
  SECTION("an index beyond what the contact sent") {
    log["90000000000"].push_back({true, "m3", "received"});
    log["90000000000"].push_back({false, "echo: m3", "read"});
  }
  auto problems = check_log(log, two_contacts, "read");
  CHECK(problems.unexpected == 2);
  CHECK(problems.lost == 0);
  CHECK_FALSE(problems.ok());
}

TEST_CASE("problems of several projects add up", "[unit][bench]") {
  log_problems all;
  log_problems one;
  one.lost = 1;
  one.wrong_final_status["sent"] = 2;
  all += one;
  all += one;
  CHECK(all.lost == 2);
  CHECK(all.wrong_final_status.at("sent") == 4);
  CHECK_FALSE(all.ok());
  CHECK(log_problems{}.ok());
}
