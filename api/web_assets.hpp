/// @file
/// @brief The files under api/web/, compiled into the binary (cmake/embed_files.cmake): what
/// `paige serve` serves without reading anything from disk or the network.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace paige::api {

/// (path under api/web/, bytes) of every embedded file.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_files();

/// The bytes of `path` (as under api/web/), if it is embedded.
const std::string_view* embedded_file(std::string_view path);

}  // namespace paige::api
