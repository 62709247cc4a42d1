#include "storage/conninfo.hpp"

#include "common/url_text.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace paige::storage {

conninfo_params parse_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts{
      PQconninfoParse(conninfo.c_str(), &err), &PQconninfoFree};
  if (!opts) {
    std::string reason = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    throw std::invalid_argument("invalid database URL: " + reason);
  }
  conninfo_params out;
  for (auto* o = opts.get(); o->keyword; ++o)
    if (o->val) out[o->keyword] = o->val;
  return out;
}

std::string make_conninfo(const conninfo_params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += ' ';
    out += key;
    out += "='";
    for (char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

std::string with_params(const std::string& conninfo, const conninfo_params& overrides) {
  auto params = parse_conninfo(conninfo);
  for (const auto& [key, value] : overrides) params[key] = value;
  return make_conninfo(params);
}

std::string conninfo_url(const conninfo_params& params) {
  auto value = [&](const char* key) {
    auto it = params.find(key);
    return it == params.end() ? std::string{} : it->second;
  };
  auto host = value("host");
  bool socket = !host.empty() && host.front() == '/';
  std::string url = "postgresql://";
  if (!value("user").empty()) {
    url += url_text::percent_encode(value("user"));
    if (!value("password").empty()) url += ":" + url_text::percent_encode(value("password"));
    url += "@";
  }
  if (!socket) {
    url += host.find(':') != std::string::npos ? "[" + host + "]" : url_text::percent_encode(host);
    if (!value("port").empty()) url += ":" + url_text::percent_encode(value("port"));
  }
  url += "/" + url_text::percent_encode(value("dbname"));
  char separator = '?';
  for (const auto& [key, v] : params) {
    if (key == "user" || key == "password" || key == "dbname" || (!socket && key == "host") ||
        (!socket && key == "port"))
      continue;
    url += separator + url_text::percent_encode(key) + "=" + url_text::percent_encode(v);
    separator = '&';
  }
  return url;
}

}  // namespace paige::storage
