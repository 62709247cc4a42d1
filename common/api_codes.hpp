/// @file
/// @brief Every error code an API client can see ({"error": {"code", "message"}}), with its HTTP
/// status and meaning: the one table. docs/api-errors.md lists the same rows (a test compares).
///
/// A new code is a new row here (and in docs/api-errors.md); code that answers an error names it
/// as api_code::..., never as a string.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

// X(code, HTTP status, when a client gets it)
#define PAIGE_API_CODES(X)                                                                         \
  X(bad_request, 400, "the request line, target or headers are malformed")                         \
  X(invalid_json, 400, "the body is not JSON (or nests deeper than allowed)")                      \
  X(invalid_webhook, 400, "a signed webhook body is not a WhatsApp Cloud API envelope")            \
  X(unauthorized, 401, "no API key, or one Paige does not know")                                   \
  X(invalid_signature, 401, "a webhook's X-Hub-Signature-256 does not match its body")             \
  X(forbidden, 403, "the endpoint needs the admin key, or a webhook verify token is wrong")        \
  X(permission_denied, 403, "Postgres refused the project's role the statement")                   \
  X(system_table, 403, "the table belongs to Paige (contacts, conversations, messages ...)")       \
  X(not_found, 404, "no such route")                                                               \
  X(project_not_found, 404, "no such project (or it was deleted)")                                 \
  X(contact_not_found, 404, "no such contact in this project")                                     \
  X(conversation_not_found, 404, "no such conversation in this project")                           \
  X(bot_not_found, 404, "the project has no bot version yet")                                      \
  X(bot_version_not_found, 404, "no kept bot version of that number (the last 20 are kept)")       \
  X(template_not_found, 404, "no such template (name, language) in this project")                  \
  X(flow_not_found, 404, "no such flow in this project")                                           \
  X(flow_key_missing, 404, "the number has no key for its flows' endpoint yet")                    \
  X(broadcast_not_found, 404, "no such broadcast in this project")                                 \
  X(key_not_found, 404, "no such unrevoked API key in this project")                               \
  X(secret_not_found, 404, "the project has no secret of that name")                               \
  X(table_not_found, 404, "no such table in the project's database")                               \
  X(row_not_found, 404, "no row with that primary key")                                            \
  X(method_not_allowed, 405, "the route exists, not with this method")                             \
  X(request_timeout, 408, "the request was not received in time")                                  \
  X(conflict, 409, "the change conflicts with the current state")                                  \
  X(project_deleting, 409, "the project is being deleted")                                         \
  X(project_not_ready, 409, "the project is not active or paused (provisioning, failed ...)")      \
  X(project_not_active, 409, "only an active project can be paused")                               \
  X(project_not_paused, 409, "only a paused project can be resumed")                               \
  X(project_provisioning, 409, "a project cannot be deleted while it is provisioned")              \
  X(conversation_closed, 409, "the conversation is closed")                                        \
  X(number_in_use, 409, "another project owns that WhatsApp number")                               \
  X(whatsapp_not_connected, 409, "the project has no WhatsApp number connected yet")               \
  X(app_id_not_configured, 409, "this needs the Meta app id: start paige with --app-id")           \
  X(signup_not_running, 409, "the project has no embedded signup to resume")                       \
  X(bot_deploy_running, 409, "another version of the bot is being deployed; try again after it")   \
  X(template_exists, 409, "a template of that name and language exists")                           \
  X(template_not_editable, 409, "Meta edits only APPROVED, REJECTED or PAUSED templates")          \
  X(template_not_approved, 409, "the template is not APPROVED (its status in the message)")        \
  X(flow_exists, 409, "a flow of that name exists in this project")                                \
  X(flow_state, 409, "the flow's status does not allow this (DRAFT only, PUBLISHED only)")         \
  X(broadcast_state, 409, "the broadcast is not in a state this action applies to")                \
  X(contact_opted_out, 409, "the contact opted out of marketing: no marketing template")           \
  X(unique_violation, 409, "a row with that unique value exists")                                  \
  X(foreign_key_violation, 409, "a foreign key does not match (or is still referenced)")           \
  X(constraint_violation, 409, "another integrity constraint refused the change")                  \
  X(table_exists, 409, "a table of that name exists")                                              \
  X(column_exists, 409, "a column of that name exists")                                            \
  X(table_in_use, 409, "other objects depend on the table")                                        \
  X(table_busy, 409, "the table is locked by another statement; retry")                            \
  X(body_too_large, 413, "the body is larger than server.max_body_bytes")                          \
  X(invalid_argument, 422, "the request is well-formed but not acceptable")                        \
  X(invalid_body, 422, "the JSON body has the wrong shape")                                        \
  X(unknown_field, 422, "the body has a field the endpoint does not take")                         \
  X(empty_patch, 422, "a PATCH names nothing to change")                                           \
  X(invalid_name, 422, "a project, table or column name is not acceptable")                        \
  X(invalid_settings, 422, "a project setting is unknown or out of range")                         \
  X(invalid_phone_number_id, 422, "phone_number_id is not a WhatsApp id (digits)")                 \
  X(invalid_waba_id, 422, "waba_id is not a WhatsApp Business account id (digits)")                \
  X(invalid_access_token, 422, "access_token is missing or not a token")                           \
  X(invalid_pin, 422, "pin is not 6 digits")                                                       \
  X(whatsapp_token_invalid, 422, "Meta refused the access token")                                  \
  X(whatsapp_rejected, 422, "Meta refused the request (its message is in ours)")                   \
  X(whatsapp_scope_missing, 422, "the signup's token lacks a WhatsApp permission for the account") \
  X(invalid_secret_name, 422, "not a secret name (A-Z, 0-9, _; not PAIGE_* or a reserved one)")    \
  X(invalid_secret_value, 422, "value is not a string of at most 32 KiB without NUL")              \
  X(too_many_secrets, 422, "the project holds 100 secrets; delete one first")                      \
  X(bot_deploy_failed, 422, "the code bot could not be installed or started (output in details)")  \
  X(invalid_bot, 422, "the bot definition has problems (each with its JSON pointer in details)")   \
  X(invalid_preview, 422, "the preview request has problems (a pointer per problem)")              \
  X(invalid_display_name, 422, "the display name cannot be requested (see the message)")           \
  X(invalid_field, 422, "field is not a webhook field name")                                       \
  X(invalid_code, 422, "code is not a signup code (text of up to 2048 characters)")                \
  X(invalid_photo, 422, "the photo is not one Meta takes (JPEG or PNG, 5 MB, sides 192 to 8192)")  \
  X(invalid_profile, 422, "the business profile change has problems (each with its field)")        \
  X(unknown_state, 422, "the bot does not declare that state (force to use it anyway)")            \
  X(invalid_state, 422, "state is not a state name")                                               \
  X(invalid_status, 422, "status is not open or closed")                                           \
  X(invalid_search, 422, "search is longer than 256 characters")                                   \
  X(invalid_conversation_id, 422, "conversation_id is not an id")                                  \
  X(invalid_cursor, 422, "the cursor is not one this API issued")                                  \
  X(invalid_limit, 422, "limit is not a number in range")                                          \
  X(invalid_log_type, 422, "type is not a comma list of event, output and process")                \
  X(invalid_desc, 422, "desc is not true or false")                                                \
  X(invalid_encoding, 422, "a path or query part is not valid %-encoded UTF-8")                    \
  X(invalid_recipient, 422, "to is not a WhatsApp id")                                             \
  X(invalid_message, 422, "the message is not one the Cloud API accepts")                          \
  X(invalid_template, 422, "the template breaks Meta's rules (a pointer per problem)")             \
  X(invalid_template_parameters, 422, "a template send does not fit its template (pointers)")      \
  X(invalid_flow, 422, "the flow or its Flow JSON breaks Meta's rules (a pointer per problem)")    \
  X(invalid_media, 422, "a template media file of a type Meta does not take")                      \
  X(invalid_broadcast, 422, "the broadcast has problems (a pointer per problem)")                  \
  X(outside_service_window, 422, "not a template, and the contact's 24-hour window is closed")     \
  X(invalid_columns, 422, "columns is not an array of columns")                                    \
  X(invalid_column, 422, "a column is not {name, type, ...}")                                      \
  X(invalid_type, 422, "a column type Paige does not offer")                                       \
  X(invalid_default, 422, "a column default is not a value of its type")                           \
  X(invalid_primary_key, 422, "more than one primary key, or one that cannot be")                  \
  X(duplicate_column, 422, "a column is given twice")                                              \
  X(too_many_columns, 422, "more columns than a table may have")                                   \
  X(no_primary_key, 422, "the table has no single-column primary key to address rows by")          \
  X(invalid_row, 422, "a row is not a JSON object {column: value}")                                \
  X(unknown_column, 422, "no such column")                                                         \
  X(invalid_value, 422, "a value does not fit its column")                                         \
  X(not_null_violation, 422, "a required column has no value")                                     \
  X(check_violation, 422, "a check constraint refused the value")                                  \
  X(invalid_query, 422, "query is not a non-empty string")                                         \
  X(invalid_params, 422, "params is not an array of at most 100 values")                           \
  X(copy_not_supported, 422, "COPY is not available through the SQL endpoint")                     \
  X(sql_error, 422, "Postgres refused the statement (its message and SQLSTATE in details)")        \
  X(statement_timeout, 422, "the statement ran past its time and was stopped")                     \
  X(too_many_requests, 429, "too many database requests of this project are waiting; retry")       \
  X(profile_busy, 429, "a business profile request of this project is with Meta; retry")           \
  X(signup_busy, 429, "an embedded signup of the project is running; retry when it ended")         \
  X(headers_too_large, 431, "the headers are larger than server.max_header_bytes")                 \
  X(internal, 500, "a bug: details are only in the server log")                                    \
  X(graph_unavailable, 502, "Meta's Graph API failed or could not be reached")                     \
  X(unavailable, 503, "the database cannot answer now (or the server is stopping); retry")         \
  X(quota_exceeded, 507, "the write would grow the database past settings.database_quota_mb")      \
  X(temp_file_limit_exceeded, 507, "the statement needed more temporary files than allowed")

namespace paige {

enum class api_code : std::uint8_t {
#define PAIGE_API_CODE_ENUM(code, status, meaning) code,
  PAIGE_API_CODES(PAIGE_API_CODE_ENUM)
#undef PAIGE_API_CODE_ENUM
};

struct api_code_info {
  api_code code;
  const char* name;  ///< as the client sees it
  unsigned status;   ///< the HTTP status it comes with
  const char* meaning;
};

/// Every row of the table, in its order.
const std::vector<api_code_info>& all_api_codes();

const api_code_info& info_of(api_code code);
inline const char* to_string(api_code code) { return info_of(code).name; }
inline unsigned http_status(api_code code) { return info_of(code).status; }

/// The code named `name`, if the table has it.
std::optional<api_code> parse_api_code(std::string_view name);

}  // namespace paige
