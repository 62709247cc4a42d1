// The project database API (tables, rows, SQL) through real HTTP against a real Postgres.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace paige::test;

namespace {

/// A server with one active project; `base` is its /v1/projects/{id} path.
struct database_fixture {
  project_server s;
  std::string project;
  std::string base;

  explicit database_fixture(std::vector<std::string> args = {}) : s(std::move(args)) {
    project = s.create("Tables")["id"].get<std::string>();
    REQUIRE(s.wait_status(project, "active"));
    base = "/v1/projects/" + project;
  }
  reply call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return s.call(method, base + path, body.is_null() ? "" : body.dump());
  }
  reply sql(const std::string& query, const json& params = json::array()) {
    auto r = call("POST", "/sql", {{"query", query}, {"params", params}});
    UNSCOPED_INFO(query << " → " << r.status << " " << r.body.dump());
    return r;
  }
  std::vector<std::string> table_names() {
    std::vector<std::string> names;
    auto tables = call("GET", "/tables");
    for (const auto& t : tables.body["items"]) names.push_back(t["name"]);
    return names;
  }
  /// Every row of `path` (a rows URL with its query), following cursors; `between` runs
  /// after each page.
  json all_rows(const std::string& path, const std::function<void(int)>& between = {}) {
    json rows = json::array();
    std::string cursor;
    for (int page = 0;; ++page) {
      auto sep = path.find('?') == std::string::npos ? "?" : "&";
      auto r = call("GET", path + (cursor.empty() ? "" : sep + std::string{"cursor="} + cursor));
      REQUIRE(r.status == 200);
      for (auto& row : r.body["items"]) rows.push_back(row);
      if (between) between(page);
      if (r.body["next_cursor"].is_null()) return rows;
      cursor = r.body["next_cursor"];
    }
  }
};

json every_type_columns() {
  return json::parse(R"js([
    {"name": "t", "type": "text", "nullable": false, "default": "none"},
    {"name": "v", "type": "varchar", "unique": true},
    {"name": "i", "type": "integer"},
    {"name": "b", "type": "bigint"},
    {"name": "n", "type": "numeric"},
    {"name": "f", "type": "boolean", "default": false},
    {"name": "d", "type": "date"},
    {"name": "ts", "type": "timestamptz", "default": "now()"},
    {"name": "u", "type": "uuid"},
    {"name": "j", "type": "jsonb"},
    {"name": "s", "type": "serial"}])js");
}

}  // namespace

TEST_CASE("a table with every column type stores and returns exact values",
          "[integration][database]") {
  database_fixture db;
  auto created =
      db.call("POST", "/tables", {{"name", "everything"}, {"columns", every_type_columns()}});
  REQUIRE(created.status == 201);
  CHECK(created.body["primary_key"] == "id");
  CHECK(created.body["system"] == false);
  std::map<std::string, json> cols;
  for (const auto& c : created.body["columns"]) cols[c["name"]] = c;
  CHECK(cols["id"]["type"] == "bigserial");
  CHECK(cols["id"]["primary_key"] == true);
  CHECK(cols["t"]["nullable"] == false);
  CHECK(cols["v"]["unique"] == true);
  CHECK(cols["s"]["type"] == "serial");
  CHECK(cols["ts"]["default"] == "now()");
  for (const char* type : {"text", "varchar", "integer", "bigint", "numeric", "boolean", "date",
                           "timestamptz", "uuid", "jsonb"}) {
    bool found = false;
    for (const auto& [name, c] : cols) found = found || c["type"] == type;
    CHECK(found);
  }
  CHECK(db.call("GET", "/tables/everything").body == created.body);

  json row{{"t", "it's \"quoted\" ✓"},
           {"v", "unique-1"},
           {"i", 2147483647},
           {"b", 9007199254740993},
           {"n", "12345678901234567890.123456789000"},
           {"f", true},
           {"d", "2024-02-29"},
           {"ts", "2026-11-21T10:00:00.123456+02:00"},
           {"u", "6f1c2a4e-8b9d-4c3e-a1f2-0123456789ab"},
           {"j", {{"a", {1, {{"b", nullptr}}}}, {"c", "ü"}, {"d", 1.5}}}};
  auto inserted = db.call("POST", "/tables/everything/rows", row);
  REQUIRE(inserted.status == 201);
  auto stored = inserted.body;
  CHECK(stored["t"] == row["t"]);
  CHECK(stored["i"] == 2147483647);
  CHECK(stored["b"].get<std::int64_t>() == 9007199254740993);
  CHECK(stored["n"] == "12345678901234567890.123456789000");
  CHECK(stored["f"] == true);
  CHECK(stored["d"] == "2024-02-29");
  CHECK(stored["ts"] == "2026-11-21T08:00:00.123456Z");
  CHECK(stored["u"] == row["u"]);
  CHECK(stored["j"] == row["j"]);
  CHECK(stored["s"] == 1);
  auto id = std::to_string(stored["id"].get<long>());
  auto read = db.call("GET", "/tables/everything/rows");
  REQUIRE(read.body["items"].size() == 1);
  CHECK(read.body["items"][0] == stored);

  // Defaults: a row with only the required column.
  auto defaults = db.call("POST", "/tables/everything/rows", {{"t", "x"}});
  REQUIRE(defaults.status == 201);
  CHECK(defaults.body["f"] == false);
  CHECK(defaults.body["ts"].get<std::string>().back() == 'Z');
  CHECK(defaults.body["j"].is_null());

  auto edited = db.call("PATCH", "/tables/everything/rows/" + id,
                        {{"t", "edited"}, {"n", 0.5}, {"j", nullptr}});
  REQUIRE(edited.status == 200);
  CHECK(edited.body["t"] == "edited");
  CHECK(edited.body["n"] == "0.5");
  CHECK(edited.body["j"].is_null());
  CHECK(edited.body["b"] == stored["b"]);

  REQUIRE(db.call("DELETE", "/tables/everything/rows/" + id).status == 204);
  CHECK(db.call("DELETE", "/tables/everything/rows/" + id).status == 404);
  CHECK(db.call("PATCH", "/tables/everything/rows/" + id, {{"t", "x"}}).status == 404);
  CHECK(db.call("GET", "/tables/everything/rows").body["items"].size() == 1);

  auto added = db.call("POST", "/tables/everything/columns",
                       {{"name", "extra"}, {"type", "integer"}, {"default", 7}});
  REQUIRE(added.status == 201);
  CHECK(added.body["columns"].back()["name"] == "extra");
  CHECK(db.call("GET", "/tables/everything/rows").body["items"][0]["extra"] == 7);
  CHECK(db.call("POST", "/tables/everything/columns", {{"name", "extra"}, {"type", "text"}})
            .body["error"]["code"] == "column_exists");

  REQUIRE(db.call("DELETE", "/tables/everything/rows").status == 204);
  CHECK(db.call("GET", "/tables/everything/rows").body["items"].empty());
  REQUIRE(db.call("DELETE", "/tables/everything").status == 204);
  auto gone = db.call("GET", "/tables/everything");
  CHECK(gone.status == 404);
  CHECK(gone.body["error"]["code"] == "table_not_found");
  CHECK(db.call("POST", "/tables",
                {{"name", "with_key"},
                 {"columns", {{{"name", "code"}, {"type", "text"}, {"primary_key", true}}}}})
            .body["primary_key"] == "code");
}

TEST_CASE("values that do not fit are refused with the column's name and change nothing",
          "[integration][database]") {
  database_fixture db;
  REQUIRE(
      db.call("POST", "/tables", {{"name", "things"}, {"columns", every_type_columns()}}).status ==
      201);
  REQUIRE(db.call("POST", "/tables/things/rows", {{"t", "a"}, {"v", "taken"}}).status == 201);

  auto expect = [&](const json& row, unsigned status, const std::string& code,
                    const std::string& column) {
    auto r = db.call("POST", "/tables/things/rows", row);
    CHECK(r.status == status);
    CHECK(r.body["error"]["code"] == code);
    CHECK(r.body["error"]["message"].get<std::string>().find(column) != std::string::npos);
  };
  expect({{"t", "a"}, {"i", "abc"}}, 422, "invalid_value", "'i'");
  expect({{"t", "a"}, {"i", 2147483648LL}}, 422, "invalid_value", "'i'");
  expect({{"t", "a"}, {"i", 1.5}}, 422, "invalid_value", "'i'");
  expect({{"t", "a"}, {"f", "yes"}}, 422, "invalid_value", "'f'");
  expect({{"t", "a"}, {"u", "not-a-uuid"}}, 422, "invalid_value", "'u'");
  expect({{"t", "a"}, {"n", "1e"}}, 422, "invalid_value", "'n'");
  expect({{"t", "a"}, {"ts", "yesterday"}}, 422, "invalid_value", "'ts'");
  expect({{"t", 5}}, 422, "invalid_value", "'t'");
  expect({{"t", nullptr}}, 422, "not_null_violation", "'t'");
  expect({{"t", "a"}, {"nope", 1}}, 422, "unknown_column", "'nope'");
  expect({{"t", "a"}, {"v", "taken"}}, 409, "unique_violation", "(v)");
  expect({{"t", "a"}, {"d", "2023-02-30"}}, 422, "invalid_value", "2023-02-30");
  CHECK(db.call("POST", "/tables/things/rows", json::array({1})).status == 422);
  REQUIRE(db.call("POST", "/tables",
                  {{"name", "req"},
                   {"columns", {{{"name", "must"}, {"type", "text"}, {"nullable", false}}}}})
              .status == 201);
  auto missing = db.call("POST", "/tables/req/rows", json::object());
  CHECK(missing.status == 422);
  CHECK(missing.body["error"]["code"] == "not_null_violation");
  CHECK(missing.body["error"]["message"].get<std::string>().find("\"must\"") != std::string::npos);

  auto bad_default = db.call(
      "POST", "/tables",
      {{"name", "bad"}, {"columns", {{{"name", "n"}, {"type", "integer"}, {"default", "x"}}}}});
  CHECK(bad_default.status == 422);
  CHECK(bad_default.body["error"]["code"] == "invalid_default");
  CHECK(db.call("POST", "/tables",
                {{"name", "bad"}, {"columns", {{{"name", "n"}, {"type", "money"}}}}})
            .body["error"]["code"] == "invalid_type");
  CHECK(
      db.call("POST", "/tables",
              {{"name", "bad"},
               {"columns", {{{"name", "n"}, {"type", "text"}}, {{"name", "n"}, {"type", "text"}}}}})
          .body["error"]["code"] == "duplicate_column");
  CHECK(db.call("POST", "/tables",
                {{"name", "bad"}, {"columns", {{{"name", "id"}, {"type", "text"}}}}})
            .body["error"]["code"] == "invalid_primary_key");
  CHECK(db.call("POST", "/tables", {{"name", "things"}}).status == 409);
  CHECK(db.call("GET", "/tables/bad").status == 404);

  auto rows = db.call("GET", "/tables/things/rows").body["items"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["v"] == "taken");
}

TEST_CASE("hostile identifiers are refused and hostile values are stored as data",
          "[integration][database]") {
  database_fixture db;
  auto before = db.table_names();
  for (std::string name : std::vector<std::string>{
           "x\"; drop table contacts; --", "Robert'); DROP TABLE contacts;--", "pg_shadow",
           "paige_x", "contacts", "select", "tábla", "1abc", "", std::string(64, 'a'), "a b"}) {
    auto r = db.call("POST", "/tables",
                     {{"name", name}, {"columns", {{{"name", "c"}, {"type", "text"}}}}});
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "invalid_name");
    if (name == "contacts") continue;  // a fine column name
    auto c = db.call("POST", "/tables",
                     {{"name", "ok_table"}, {"columns", {{{"name", name}, {"type", "text"}}}}});
    CHECK(c.status == 422);
  }
  CHECK(db.call("POST", "/tables",
                {{"name", "ok_table"}, {"columns", {{{"name", "xmin"}, {"type", "text"}}}}})
            .status == 422);
  CHECK(db.table_names() == before);
  REQUIRE(db.call("POST", "/tables", {{"name", std::string(63, 'a')}, {"columns", json::array()}})
              .status == 201);

  REQUIRE(db.call("POST", "/tables",
                  {{"name", "notes"}, {"columns", {{{"name", "body"}, {"type", "text"}}}}})
              .status == 201);
  std::string hostile = "'); DROP TABLE contacts; -- \"\\ ' \u00e9\u4e2d\U0001F600 $1 %s";
  auto r = db.call("POST", "/tables/notes/rows", {{"body", hostile}});
  REQUIRE(r.status == 201);
  CHECK(db.call("GET", "/tables/notes/rows?where.body=" +
                           std::string{"%27%29%3B%20DROP%20TABLE%20contacts%3B%20--%20%22%5C%20%27%"
                                       "20%C3%A9%E4%B8%AD%F0%9F%98%80%20%241%20%25s"})
            .body["items"][0]["body"] == hostile);
  CHECK(db.call("GET", "/tables/x%22%3B%20drop%20table%20contacts%3B%20--").status == 404);
  CHECK(db.call("GET", "/tables/notes/rows?order_by=body%22%3B%20drop").body["error"]["code"] ==
        "unknown_column");
  CHECK(db.call("GET", "/tables/notes/rows?where.x%22%3Bdrop=1").body["error"]["code"] ==
        "unknown_column");
  CHECK(db.call("GET", "/tables/notes/rows?cursor=r1zz").body["error"]["code"] == "invalid_cursor");
  CHECK(db.call("GET", "/tables/contacts").status == 200);
  CHECK(db.call("POST", "/tables",
                {{"name", "x"}, {"columns", {{{"name", "c"}, {"type", "text"}, {"evil", true}}}}})
            .status == 422);
}

TEST_CASE("system tables can be read but not dropped, altered or written",
          "[integration][database]") {
  database_fixture db;
  auto tables = db.call("GET", "/tables").body["items"];
  std::map<std::string, bool> system;
  for (const auto& t : tables) system[t["name"]] = t["system"];
  CHECK(system["contacts"]);
  CHECK(system["conversations"]);
  CHECK(system["messages"]);
  CHECK(db.call("GET", "/tables/contacts/rows").status == 200);
  auto contacts = db.call("GET", "/tables/contacts").body;
  CHECK(contacts["primary_key"] == "id");
  for (auto [method, path, body] : std::vector<std::tuple<std::string, std::string, json>>{
           {"DELETE", "/tables/contacts", nullptr},
           {"POST", "/tables/messages/columns", {{"name", "x"}, {"type", "text"}}},
           {"POST", "/tables/contacts/rows", {{"wa_id", "1"}}},
           {"PATCH", "/tables/conversations/rows/1", {{"state", "x"}}},
           {"DELETE", "/tables/contacts/rows/1", nullptr},
           {"DELETE", "/tables/messages/rows", nullptr}}) {
    auto r = db.call(method, path, body);
    CHECK(r.status == 403);
    CHECK(r.body["error"]["code"] == "system_table");
  }
  CHECK(db.call("GET", "/tables/contacts").body == contacts);
}

TEST_CASE("a 200 000-row table pages through completely while rows are inserted",
          "[integration][database]") {
  database_fixture db;
  REQUIRE(db.call("POST", "/tables",
                  {{"name", "big"},
                   {"columns",
                    {{{"name", "n"}, {"type", "integer"}}, {{"name", "g"}, {"type", "text"}}}}})
              .status == 201);
  auto filled = db.sql(
      "INSERT INTO big (n, g) SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 10)::text END "
      "FROM generate_series(1, 200000) i");
  REQUIRE(filled.status == 200);
  CHECK(filled.body["row_count"] == 200000);

  // By key: every original row exactly once, while new rows keep arriving.
  std::set<long> seen;
  std::size_t count = 0;
  auto rows = db.all_rows("/tables/big/rows?limit=1000", [&](int page) {
    if (page % 20 == 0) REQUIRE(db.call("POST", "/tables/big/rows", {{"n", -page}}).status == 201);
  });
  for (const auto& r : rows) {
    seen.insert(r["id"].get<long>());
    ++count;
  }
  CHECK(count == seen.size());
  CHECK(*seen.begin() == 1);
  for (long id = 1; id <= 200000; ++id)
    if (!seen.count(id)) FAIL("row " << id << " was skipped");

  // Descending by key, and with an equality filter.
  auto last = db.call("GET", "/tables/big/rows?limit=3&desc=true").body["items"];
  CHECK(last[0]["id"].get<long>() > last[1]["id"].get<long>());
  auto threes = db.all_rows("/tables/big/rows?limit=1000&where.g=3");
  CHECK(threes.size() ==
        db.sql("SELECT count(*) FROM big WHERE g = '3'").body["rows"][0][0].get<std::size_t>());
  for (const auto& r : threes) CHECK(r["g"] == "3");
}

TEST_CASE("ordering by a column with ties and nulls returns every row once",
          "[integration][database]") {
  database_fixture db;
  REQUIRE(db.call("POST", "/tables",
                  {{"name", "t"},
                   {"columns",
                    {{{"name", "g"}, {"type", "text"}},
                     {{"name", "k"}, {"type", "integer"}, {"nullable", false}, {"default", 0}}}}})
              .status == 201);
  REQUIRE(db.sql("INSERT INTO t (g, k) SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 3)::text "
                 "END, i % 4 "
                 "FROM generate_series(1, 2000) i")
              .status == 200);
  for (std::string order : {"g", "k"}) {
    for (std::string desc : {"false", "true"}) {
      INFO(order << " desc=" << desc);
      auto rows = db.all_rows("/tables/t/rows?limit=37&order_by=" + order + "&desc=" + desc);
      std::set<long> ids;
      for (const auto& r : rows) ids.insert(r["id"].get<long>());
      CHECK(rows.size() == 2000);
      CHECK(ids.size() == 2000);
      // The order holds: NULLs last ascending, first descending; ties by id.
      for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto &a = rows[i - 1][order], &b = rows[i][order];
        bool up = desc == "false";
        if (a.is_null() || b.is_null()) {
          if (a.is_null() && b.is_null())
            CHECK((rows[i - 1]["id"] < rows[i]["id"]) == up);
          else
            CHECK(a.is_null() != up);
        } else if (a == b) {
          CHECK((rows[i - 1]["id"] < rows[i]["id"]) == up);
        } else {
          CHECK((a < b) == up);
        }
      }
    }
  }
  CHECK(db.call("GET", "/tables/t/rows?order_by=g&cursor=" +
                           db.call("GET", "/tables/t/rows?limit=1&order_by=k")
                               .body["next_cursor"]
                               .get<std::string>())
            .body["error"]["code"] == "invalid_cursor");
}

TEST_CASE("the SQL endpoint runs as the project's role with a timeout and a row cap",
          "[integration][database]") {
  database_fixture db({"--sql-timeout", "500ms", "--sql-row-cap", "50"});
  auto who = db.sql("SELECT current_user AS u, current_database() AS d");
  REQUIRE(who.status == 200);
  auto info = db.s.database_of(db.project);
  CHECK(who.body["columns"] == json{"u", "d"});
  CHECK(who.body["rows"][0] == json{info.role, info.name});

  auto bound =
      db.sql("SELECT $1::int + 1 AS x, $2::text AS t, $3::jsonb AS j, $4::text IS NULL AS n",
             {41, "a'b; drop table contacts", {{"k", 1}}, nullptr});
  REQUIRE(bound.status == 200);
  CHECK(bound.body["rows"][0] == json{42, "a'b; drop table contacts", {{"k", 1}}, true});

  auto capped = db.sql("SELECT g FROM generate_series(1, 100000) g");
  REQUIRE(capped.status == 200);
  CHECK(capped.body["rows"].size() == 50);
  CHECK(capped.body["truncated"] == true);
  CHECK(capped.body["row_cap"] == 50);
  CHECK(db.sql("SELECT g FROM generate_series(1, 50) g").body["truncated"] == false);

  auto slow = db.sql("SELECT pg_sleep(3)");
  CHECK(slow.status == 422);
  CHECK(slow.body["error"]["code"] == "statement_timeout");
  CHECK(db.sql("SELECT 1").status == 200);  // the connection is still good

  // Nothing outside the project's own database is reachable.
  CHECK(db.sql("SELECT * FROM projects").status == 404);
  for (std::string query :
       {"SELECT pg_read_file('/etc/passwd')", "COPY (SELECT 1) TO '/tmp/paige-sql-test'",
        "CREATE EXTENSION dblink", "SET ROLE postgres", "ALTER ROLE CURRENT_USER SUPERUSER",
        "CREATE DATABASE other"}) {
    INFO(query);
    auto r = db.sql(query);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    if (r.status >= 500) FAIL(db.s.server->process().stderr_text());
  }
  auto other = db.s.create("Other")["id"].get<std::string>();
  REQUIRE(db.s.wait_status(other, "active"));
  auto key = db.s.call("POST", "/v1/projects/" + db.project + "/keys", json{{"name", "k"}}.dump())
                 .body["key"]
                 .get<std::string>();
  CHECK(db.s.call("POST", "/v1/projects/" + other + "/sql", json{{"query", "SELECT 1"}}.dump(), key)
            .status == 404);
  CHECK(db.s.call("GET", "/v1/projects/" + other + "/tables", "", key).status == 404);
  CHECK(db.s.call("POST", "/v1/projects/" + db.project + "/sql", json{{"query", "SELECT 1"}}.dump(),
                  key)
            .status == 200);

  // One statement only; session settings do not outlive a request.
  CHECK(db.sql("SELECT 1; DROP TABLE contacts").status == 422);
  CHECK(db.call("GET", "/tables/contacts").status == 200);
  REQUIRE(db.sql("SET application_name = 'leaked'").status == 200);
  CHECK(db.sql("SELECT current_setting('application_name')").body["rows"][0][0] != "leaked");
  auto returning = db.sql("CREATE TABLE made_by_sql (x int)");
  CHECK(returning.status == 200);
  auto ins = db.sql("INSERT INTO made_by_sql SELECT generate_series(1, 3) RETURNING x");
  CHECK(ins.body["row_count"] == 3);
  CHECK(db.call("GET", "/tables/made_by_sql/rows").body["items"].size() ==
        3);  // no primary key: browsed by ctid
  CHECK(db.call("DELETE", "/tables/made_by_sql/rows/1").body["error"]["code"] == "no_primary_key");
  CHECK(db.call("POST", "/sql", {{"query", 5}}).status == 422);
  CHECK(db.call("POST", "/sql", {{"query", "SELECT 1"}, {"params", "x"}}).status == 422);
}

TEST_CASE("a row the bot saves is readable here and a row deleted here is gone for the bot",
          "[integration][database]") {
  pipeline p;
  auto base = "/v1/projects/" + p.project;
  REQUIRE(p.s.call("POST", base + "/tables",
                   json{{"name", "leads"},
                        {"columns", {{{"name", "note"}, {"type", "text"}, {"unique", true}}}}}
                       .dump())
              .status == 201);
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": "always", "then": [{"save": {"table": "leads", "values": {"note": "{{message.text}}"}}},
                                  {"send": {"type": "text", "text": {"body": "saved {{message.text}}"}}}]}]}}})"));
  p.say("15550070", "hello");
  REQUIRE(body_of(p.replies("15550070", 1)[0]) == "saved hello");
  auto rows = p.s.call("GET", base + "/tables/leads/rows").body["items"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["note"] == "hello");

  // The note is unique: the bot can save "hello" again only because the row is gone.
  REQUIRE(
      p.s.call("DELETE", base + "/tables/leads/rows/" + std::to_string(rows[0]["id"].get<long>()))
          .status == 204);
  p.say("15550070", "hello");
  auto replies = p.replies("15550070", 2);
  CHECK(body_of(replies[1]) == "saved hello");
  rows = p.s.call("GET", base + "/tables/leads/rows").body["items"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["note"] == "hello");
}
