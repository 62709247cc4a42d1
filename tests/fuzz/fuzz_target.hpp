/// @file
/// @brief What every fuzz target defines (libFuzzer's entry point), and how a broken property
/// is reported: abort, which libFuzzer records as a crash with its input, and the corpus
/// replay of the test suite as a failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace paige::fuzz {

/// Aborts with `what` unless `ok`.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property broken: %s\n", what);
  std::abort();
}

}  // namespace paige::fuzz
