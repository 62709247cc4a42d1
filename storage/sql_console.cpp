#include "storage/sql_console.hpp"

#include "common/text_checks.hpp"
#include "storage/backend_watchdog.hpp"
#include "storage/column_values.hpp"
#include "storage/table_errors.hpp"

#include <libpq-fe.h>
#include <pqxx/except>

#include <cctype>
#include <memory>
#include <optional>
#include <vector>

namespace paige::storage {
namespace {

using json = nlohmann::json;

constexpr const char* cursor_name = "paige_sql_console";
/// What a value costs in the answer besides its bytes (quotes, separators).
constexpr std::size_t value_overhead = 8;

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

struct conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

/// One session of the endpoint: its connection, the watchdog's eye on it, and how the
/// statement's failures are reported.
class session {
 public:
  session(const std::string& conninfo, const sql_limits& limits, backend_watchdog* watchdog)
      : conn_(PQconnectdb(conninfo.c_str())), limits_(limits) {
    if (PQstatus(conn_.get()) != CONNECTION_OK)
      throw pqxx::broken_connection(PQerrorMessage(conn_.get()));
    // libpq prints notices (RAISE NOTICE, warnings) to stderr, which is Paige's log: the
    // project's text and its volume would land there.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    // The deadline a little after the statement timeout, which normally fires first.
    auto deadline =
        backend_watchdog::clock::now() + limits.timeout + std::chrono::milliseconds{250};
    watch_.emplace(watchdog, PQbackendPID(conn_.get()), deadline, "database_api");
  }

  PGconn* conn() const { return conn_.get(); }

  /// Runs `sql` (no parameters) and expects success.
  result_ptr exec(const std::string& sql) {
    result_ptr r{PQexec(conn(), sql.c_str())};
    check(r.get());
    return r;
  }

  /// Throws what a failed result means.
  void check(const PGresult* r) {
    auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE)
      return;
    fail(r);
  }

  [[noreturn]] void fail(const PGresult* r) {
    if (PQstatus(conn()) == CONNECTION_BAD) {
      if (watch_->fired() != backend_watchdog::action::none) throw timed_out();
      throw pqxx::broken_connection(PQerrorMessage(conn()));
    }
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn());
    if (watch_->fired() != backend_watchdog::action::none && sqlstate == "57014") throw timed_out();
    if (auto mapped = classify(sqlstate, message)) throw *mapped;
    // Connection trouble and a server short of resources are not the request's fault.
    auto cls = sqlstate.substr(0, 2);
    if (cls == "08" || cls == "53" || cls == "57" || cls == "58" || cls == "XX")
      throw pqxx::broken_connection(message);
    throw invalid(api_code::sql_error, message, {{"sqlstate", sqlstate}});
  }

  table_error timed_out() const {
    return invalid(api_code::statement_timeout, "the statement ran past its " +
                                                    std::to_string(limits_.timeout.count()) +
                                                    " ms and was stopped");
  }

 private:
  std::unique_ptr<PGconn, conn_deleter> conn_;
  const sql_limits& limits_;
  std::optional<backend_watchdog::watch> watch_;
};

/// The answer, built row by row within the caps.
struct answer {
  const sql_limits& limits;
  json columns = json::array(), types = json::array(), rows = json::array();
  std::size_t bytes = 0;
  bool truncated = false;
  bool described = false;

  void describe(const PGresult* r) {
    if (described) return;
    described = true;
    for (int i = 0; i < PQnfields(r); ++i) {
      columns.push_back(PQfname(r, i));
      types.push_back(PQftype(r, i));
    }
  }

  /// Keeps row `row` of `r` if the caps allow it; false once they do not.
  bool keep(const PGresult* r, int row) {
    describe(r);
    if (rows.size() >= limits.row_cap) return truncated = true, false;
    std::size_t size = 0;
    for (int i = 0; i < PQnfields(r); ++i)
      size += static_cast<std::size_t>(PQgetlength(r, row, i)) + value_overhead;
    if (bytes + size > limits.byte_cap) return truncated = true, false;
    bytes += size;
    json out = json::array();
    for (int i = 0; i < PQnfields(r); ++i)
      out.push_back(
          field_to_json(PQftype(r, i), PQgetisnull(r, row, i) ? nullptr : PQgetvalue(r, row, i)));
    rows.push_back(std::move(out));
    return true;
  }

  json done(std::size_t row_count) const {
    return {{"columns", columns},         {"column_types", types},  {"rows", rows},
            {"row_count", row_count},     {"truncated", truncated}, {"row_cap", limits.row_cap},
            {"byte_cap", limits.byte_cap}};
  }
};

/// The parameters as libpq takes them: text, or null.
struct bound_params {
  std::vector<std::optional<std::string>> values;
  std::vector<const char*> pointers;

  explicit bound_params(const json& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i];
      if (p.is_null()) {
        values.emplace_back();
      } else if (p.is_string()) {
        const auto& s = p.get_ref<const std::string&>();
        // libpq ends a parameter at a NUL: "a\0b" would silently be bound as "a".
        if (!text::clean_text(s))
          throw invalid(api_code::invalid_params,
                        "parameter $" + std::to_string(i + 1) + " holds a NUL character",
                        {{"index", i}});
        values.emplace_back(s);
      } else {
        values.emplace_back(p.dump());
      }
    }
    for (const auto& v : values) pointers.push_back(v ? v->c_str() : nullptr);
  }
  int count() const { return static_cast<int>(pointers.size()); }
  const char* const* data() const { return pointers.empty() ? nullptr : pointers.data(); }
};

/// Reads a cursor until the caps, one row at a time in libpq's hands (single-row mode), in
/// FETCHes of 1, 2, 4... up to 1024 rows: few round trips for many small rows, and when a
/// cap is reached inside a FETCH, only the rest of that FETCH is read and dropped (none after
/// a first huge row). Returns the rows kept.
std::size_t fetch_cursor(session& s, answer& out) {
  std::size_t chunk = 1;
  for (;;) {
    // One row past the row cap shows whether there were more.
    auto want = std::min(chunk, out.limits.row_cap + 1 - out.rows.size());
    auto fetch = "FETCH FORWARD " + std::to_string(want) + " FROM " + cursor_name;
    if (!PQsendQuery(s.conn(), fetch.c_str())) s.fail(nullptr);
    PQsetSingleRowMode(s.conn());
    std::size_t got = 0;
    bool full = false;
    result_ptr failure;
    while (result_ptr r{PQgetResult(s.conn())}) {
      auto status = PQresultStatus(r.get());
      if (status == PGRES_SINGLE_TUPLE) {
        ++got;
        if (!full && !out.keep(r.get(), 0)) full = true;
      } else if (status == PGRES_TUPLES_OK) {
        out.describe(r.get());
      } else if (!failure) {
        failure = std::move(r);
      }
    }
    if (failure) s.fail(failure.get());
    if (full || got < want) break;
    chunk = std::min<std::size_t>(chunk * 2, 1024);
  }
  s.exec(std::string{"CLOSE "} + cursor_name);
  return out.rows.size();
}

/// Runs a statement in single-row mode: rows past the caps are read and dropped (libpq holds
/// one at a time). Returns the rows kept, or the rows affected.
std::size_t run_direct(session& s, const std::string& query, const bound_params& params,
                       answer& out) {
  if (!PQsendQueryParams(s.conn(), query.c_str(), params.count(), nullptr, params.data(), nullptr,
                         nullptr, 0))
    s.fail(nullptr);
  PQsetSingleRowMode(s.conn());
  std::optional<std::size_t> affected;
  result_ptr failure;
  bool copy = false;
  while (result_ptr r{PQgetResult(s.conn())}) {
    switch (PQresultStatus(r.get())) {
      case PGRES_SINGLE_TUPLE:
        out.keep(r.get(), 0);
        break;
      case PGRES_TUPLES_OK:
        out.describe(r.get());
        break;
      case PGRES_COMMAND_OK: {
        const char* n = PQcmdTuples(r.get());
        affected = n && *n ? std::stoull(n) : 0;
        break;
      }
      case PGRES_COPY_IN:
        // Hidden from the first-keyword check (it cannot be: COPY is a top-level statement),
        // refused all the same.
        copy = true;
        PQputCopyEnd(s.conn(), "COPY is not available through the SQL endpoint");
        break;
      case PGRES_COPY_OUT: {
        copy = true;
        char* buf = nullptr;
        while (PQgetCopyData(s.conn(), &buf, 0) > 0) PQfreemem(buf);
        break;
      }
      default:
        if (!failure) failure = std::move(r);
    }
  }
  if (copy)
    throw invalid(api_code::copy_not_supported, "COPY is not available through the SQL endpoint");
  if (failure) s.fail(failure.get());
  return out.columns.empty() && affected ? *affected : out.rows.size();
}

std::int64_t database_size(session& s) {
  auto r = s.exec("SELECT pg_database_size(current_database())");
  return std::stoll(PQgetvalue(r.get(), 0, 0));
}

/// Skips white space and comments (nested block comments too) from `i`.
std::size_t skip_blank(const std::string& sql, std::size_t i) {
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(') {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      auto end = sql.find('\n', i);
      i = end == std::string::npos ? sql.size() : end + 1;
    } else if (sql.compare(i, 2, "/*") == 0) {
      int depth = 0;
      while (i < sql.size()) {
        if (sql.compare(i, 2, "/*") == 0)
          ++depth, i += 2;
        else if (sql.compare(i, 2, "*/") == 0) {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

statement_kind kind_of_statement(const std::string& sql) {
  auto i = skip_blank(sql, 0);
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  if (word == "copy") return statement_kind::copy;
  if (word == "select" || word == "values" || word == "table" || word == "with")
    return statement_kind::query;
  return statement_kind::other;
}

json run_sql(const std::string& conninfo, const std::string& query, const json& params,
             const sql_limits& limits, backend_watchdog* watchdog) {
  if (!text::clean_text(query))
    throw invalid(api_code::invalid_query, "\"query\" holds a NUL character");
  auto kind = kind_of_statement(query);
  if (kind == statement_kind::copy)
    throw invalid(api_code::copy_not_supported,
                  "COPY is not available through the SQL endpoint: read with SELECT, write with "
                  "INSERT or the "
                  "rows endpoints");
  bound_params bound{params};
  session s{conninfo, limits, watchdog};
  auto ms = std::to_string(limits.timeout.count());
  s.exec("BEGIN; SET LOCAL statement_timeout = " + ms + "; SET LOCAL lock_timeout = " + ms +
         "; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'");
  std::int64_t size_before = limits.quota_bytes > 0 ? database_size(s) : 0;
  answer out{limits};
  std::size_t count = 0;
  bool declared = false;
  if (kind == statement_kind::query) {
    // A query is read through a cursor, so the server stops at the caps. A WITH holding an
    // INSERT, UPDATE or DELETE cannot be one (0A000): that runs directly.
    s.exec("SAVEPOINT paige_sql_cursor");
    auto declare = std::string{"DECLARE "} + cursor_name + " NO SCROLL CURSOR FOR " + query;
    result_ptr r{PQexecParams(s.conn(), declare.c_str(), bound.count(), nullptr, bound.data(),
                              nullptr, nullptr, 0)};
    if (PQresultStatus(r.get()) == PGRES_COMMAND_OK) {
      declared = true;
    } else {
      const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
      if (!state || std::string{state} != "0A000") s.fail(r.get());
      s.exec("ROLLBACK TO SAVEPOINT paige_sql_cursor");
    }
  }
  count = declared ? fetch_cursor(s, out) : run_direct(s, query, bound, out);
  if (limits.quota_bytes > 0) {
    auto size_after = database_size(s);
    if (size_after > limits.quota_bytes && size_after > size_before) {
      s.exec("ROLLBACK");
      throw table_error{api_code::quota_exceeded,
                        "the project's database would hold " + std::to_string(size_after) +
                            " bytes, over its quota of " + std::to_string(limits.quota_bytes) +
                            " (settings.database_quota_mb): nothing was changed",
                        {{"quota_bytes", limits.quota_bytes}, {"size_bytes", size_after}}};
    }
  }
  s.exec("COMMIT");
  return out.done(count);
}

}  // namespace paige::storage
