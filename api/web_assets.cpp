#include "api/web_assets.hpp"

namespace paige::api {

const std::string_view* embedded_file(std::string_view path) {
  for (const auto& [name, bytes] : embedded_files())
    if (name == path) return &bytes;
  return nullptr;
}

}  // namespace paige::api
