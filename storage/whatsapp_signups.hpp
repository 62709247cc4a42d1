/// @file
/// @brief Embedded signups in progress, in the control database: each step is stored before
/// the next starts, so a signup interrupted by a crash resumes where it stopped.
#pragma once

#include <optional>
#include <string>

#include <pqxx/connection>

namespace paige::storage {

/// The steps of a signup, in order (docs/whatsapp-account.md).
inline const char* const signup_steps[] = {"exchange", "check", "subscribe", "register", "store"};

struct signup_row {
  std::string project_id;
  std::string waba_id;
  std::string phone_number_id;
  std::string step;                 ///< one of signup_steps
  std::string status;               ///< running or failed
  std::string code_sealed;          ///< until exchanged (then empty): Meta's single-use code
  std::string access_token_sealed;  ///< once exchanged
  std::string pin_sealed;
  std::string error_json;    ///< when failed: {"step", "message", "code"}
  std::string redirect_uri;  ///< the dialog's, repeated in the exchange ("" when none)
};

/// Starts (or starts again) the project's signup at its first step; false (nothing stored)
/// while another project's signup of that number runs (a unique index makes it final).
bool start_signup(pqxx::connection& c, const signup_row& s);

/// The project's signup, if one is running or failed.
std::optional<signup_row> signup_of(pqxx::connection& c, const std::string& project_id);

/// Moves a running signup to `step`, storing the exchanged token when given (and forgetting
/// the code then).
void advance_signup(pqxx::connection& c, const std::string& project_id, const std::string& step,
                    const std::string& access_token_sealed = {});

/// Marks the signup failed at its current step with `error_json`.
void fail_signup(pqxx::connection& c, const std::string& project_id, const std::string& error_json);

}  // namespace paige::storage
