// The corpus replay: runs a fuzz target on every file of the given directories (or files),
// so the test suite keeps every input a fuzzing run found (and every fixed crash) fixed
// without clang. libFuzzer builds (scripts/fuzz.sh) link libFuzzer's main instead.
#include "tests/fuzz/fuzz_target.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path p{argv[i]};
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) inputs.push_back(e.path());
    } else {
      inputs.push_back(p);
    }
  }
  if (inputs.empty()) {
    std::cerr << "usage: " << argv[0] << " <corpus dir or file>...: no input found\n";
    return 2;
  }
  for (const auto& p : inputs) {
    std::ifstream in{p, std::ios::binary};
    std::string data{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  }
  std::cout << "replayed " << inputs.size() << " inputs\n";
  return 0;
}
