#include "runtime/descriptor_limit.hpp"

#include "common/log.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace paige::runtime {

std::size_t descriptor_reserve(std::size_t limit) { return std::min<std::size_t>(limit / 2, 512); }

descriptor_budget fit_connections_to_descriptors(std::size_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    auto raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  descriptor_budget b;
  b.limit =
      lim.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(lim.rlim_cur);
  auto fits = std::max<std::size_t>(b.limit - descriptor_reserve(b.limit), 1);
  b.max_connections = wanted ? wanted : std::min(fits, default_max_connections);
  if (wanted > fits)
    log::warn("http.max_connections_above_descriptors",
              {{"max_connections", wanted}, {"descriptor_limit", b.limit}, {"fits", fits}});
  return b;
}

}  // namespace paige::runtime
