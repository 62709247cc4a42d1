/// @file
/// @brief Text inside URLs: percent-encoding (RFC 3986) of a query value or a URL's user,
/// password or path segment.
#pragma once

#include <string>
#include <string_view>

namespace paige::url_text {

/// `text` with every byte but the unreserved ones (A-Z a-z 0-9 - _ . ~) as %XX.
std::string percent_encode(std::string_view text);

}  // namespace paige::url_text
