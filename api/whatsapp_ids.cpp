#include "api/whatsapp_ids.hpp"

#include "common/secrets.hpp"

namespace paige::api {

std::optional<std::string> meta_id(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string()) return std::nullopt;
  auto v = body[key].get<std::string>();
  if (v.empty() || v.size() > 32 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return v;
}

std::string new_pin() {
  auto hex = secrets::random_hex(6);
  std::string pin;
  for (std::size_t i = 0; i < 6; ++i)
    pin += static_cast<char>('0' + std::stoi(hex.substr(2 * i, 2), nullptr, 16) % 10);
  return pin;
}

}  // namespace paige::api
