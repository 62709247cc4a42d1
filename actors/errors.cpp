#include "actors/errors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace paige::actors {

const char* to_string(errc code) {
  switch (code) {
    case errc::db_unavailable:
      return "db_unavailable";
    case errc::db_error:
      return "db_error";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::not_found:
      return "not_found";
    case errc::conflict:
      return "conflict";
    case errc::timeout:
      return "timeout";
    case errc::upstream:
      return "upstream";
    case errc::internal:
      return "internal";
    case errc::busy:
      return "busy";
  }
  return "internal";
}

caf::error make_error(errc code, std::string reason, std::optional<api_code> api) {
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(reason), std::string{api ? to_string(*api) : ""})};
}

caf::error make_error(errc code, std::string reason, api_code api, std::string details_json) {
  return caf::error{
      static_cast<std::uint8_t>(code), error_category,
      caf::make_message(std::move(reason), std::string{to_string(api)}, std::move(details_json))};
}

caf::error make_db_error(std::string reason, std::string sqlstate) {
  // The context's second slot holds the SQLSTATE here, where other errors hold their API code.
  return caf::error{static_cast<std::uint8_t>(errc::db_error), error_category,
                    caf::make_message(std::move(reason), std::move(sqlstate))};
}

errc code_of(const caf::error& err) {
  if (err.category() == error_category) return static_cast<errc>(err.code());
  if (err.category() == caf::atom("system") &&
      err.code() == static_cast<std::uint8_t>(caf::sec::request_timeout))
    return errc::timeout;
  return errc::internal;
}

namespace {
/// Whether `err` is ours with its context: (reason, API code or SQLSTATE[, details]).
bool with_context(const caf::error& err) {
  const auto& c = err.context();
  return err.category() == error_category &&
         (c.match_elements<std::string, std::string>() ||
          c.match_elements<std::string, std::string, std::string>());
}
std::string slot(const caf::error& err, std::size_t i) {
  return with_context(err) && i < err.context().size() ? err.context().get_as<std::string>(i)
                                                       : std::string{};
}
std::string second_slot(const caf::error& err) { return slot(err, 1); }
}  // namespace

std::string reason_of(const caf::error& err) {
  return with_context(err) ? slot(err, 0) : caf::to_string(err);
}

std::string details_of(const caf::error& err) { return slot(err, 2); }

std::string api_code_of(const caf::error& err) {
  return code_of(err) == errc::db_error ? std::string{} : second_slot(err);
}

std::string sqlstate_of(const caf::error& err) {
  return code_of(err) == errc::db_error ? second_slot(err) : std::string{};
}

}  // namespace paige::actors
