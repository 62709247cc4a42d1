/// @file
/// @brief `GET /docs`: the OpenAPI document (api/web/openapi.json) as a page a person reads,
/// rendered on the server: no script, every text of the document escaped.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace paige::api {

/// The HTML page of `openapi`: each operation by tag (method, path, summary, parameters,
/// answers) and each schema with its properties.
std::string render_api_docs(const nlohmann::json& openapi);

/// `text` safe inside HTML text and attribute values.
std::string escape_html(const std::string& text);

}  // namespace paige::api
