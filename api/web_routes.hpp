/// @file
/// @brief The pages: `GET /` and `GET /assets/{name}` (api/web/, embedded), served with a
/// Content-Security-Policy that allows nothing from elsewhere and no inline script; and what the
/// HTTP API says about itself: `GET /v1/openapi.json`, the OpenAPI 3.1
/// description of every route (api/web/openapi.json, embedded; a test keeps it and the
/// router's routes equal both ways), and `GET /docs`, the same as a page (api_docs.hpp). No
/// key is needed to read them.
#pragma once

#include "api/router.hpp"

namespace paige::api {

void add_web_routes(router& routes);

}  // namespace paige::api
