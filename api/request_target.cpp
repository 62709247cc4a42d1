#include "api/request_target.hpp"

#include "common/text_checks.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace paige::api {

std::variant<request_target, http_response> parse_request_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return http_response::error(api_code::bad_request, "malformed request target");
  request_target out;
  out.segments.reserve(url->encoded_segments().size());
  for (auto seg : url->encoded_segments()) out.segments.push_back(seg.decode());
  out.path = url->path();
  for (auto p : url->params()) out.query.emplace_back(p.key, p.value);
  bool clean = std::all_of(out.segments.begin(), out.segments.end(),
                           [](const std::string& s) { return text::clean_text(s); }) &&
               std::all_of(out.query.begin(), out.query.end(), [](const auto& kv) {
                 return text::clean_text(kv.first) && text::clean_text(kv.second);
               });
  if (!clean)
    return http_response::error(
        api_code::invalid_encoding,
        "the path and query must be UTF-8 without NUL characters (after %-decoding)");
  return out;
}

}  // namespace paige::api
