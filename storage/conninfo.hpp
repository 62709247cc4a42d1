/// @file
/// @brief libpq connection strings: parsing (URL or keyword form) and building.
#pragma once

#include <map>
#include <string>

namespace paige::storage {

/// Keyword → value, as libpq understands them (host, port, dbname, user, password, ...).
using conninfo_params = std::map<std::string, std::string>;

/// Parses a `postgresql://` URL or a `key=value` string; throws std::invalid_argument with
/// libpq's reason when it is malformed.
conninfo_params parse_conninfo(const std::string& conninfo);

/// Builds a keyword/value connection string, quoting every value.
std::string make_conninfo(const conninfo_params& params);

/// The same parameters as a `postgresql://` URL (what Node's pg and most drivers read):
/// user, password, host and port in the authority (a Unix socket directory as `?host=`), the
/// database as the path, every other parameter in the query; each value percent-encoded.
std::string conninfo_url(const conninfo_params& params);

/// `conninfo` with some parameters replaced (e.g. another dbname or user).
std::string with_params(const std::string& conninfo, const conninfo_params& overrides);

}  // namespace paige::storage
