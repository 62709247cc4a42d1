/// @file
/// @brief Fitting the HTTP connection cap to the descriptors the process may open.
///
/// Every HTTP connection is a descriptor, and so is every Postgres session, Graph connection,
/// pipe and log file: connections that use them all leave Postgres unreachable and accept()
/// failing. Debian's default soft limit (1 024) is also far below a useful cap, while the hard
/// limit is usually much higher, so the soft limit is raised to the hard one first.
#pragma once

#include <cstddef>

namespace paige::runtime {

struct descriptor_budget {
  std::size_t limit = 0;            ///< the soft limit, after raising it
  std::size_t max_connections = 0;  ///< HTTP connections that fit, leaving the reserve
};

/// The default cap where descriptors are plenty: Postgres sessions (one per project and
/// worker), Graph connections and files need the rest.
inline constexpr std::size_t default_max_connections = 10000;

/// Descriptors kept for everything but HTTP connections: half the limit, at most 512.
std::size_t descriptor_reserve(std::size_t limit);

/// Raises RLIMIT_NOFILE's soft limit to its hard one and answers the cap: `wanted` if given
/// (non-zero; a warning is logged when it does not fit), else what fits beside the reserve, at
/// most default_max_connections.
descriptor_budget fit_connections_to_descriptors(std::size_t wanted);

}  // namespace paige::runtime
