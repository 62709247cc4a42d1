# Every dependency comes from a Debian 12 package (see scripts/install-deps.sh).

find_package(Threads REQUIRED)
# Boost's CONFIG mode needs the full version for EXACT.
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS url)
find_package(OpenSSL REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx libpq)
# Linear-time matching of patterns strangers write (bot routes, value checks).
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# CAF 0.17 ships no CMake config.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
add_library(caf::core SHARED IMPORTED)
set_target_properties(caf::core PROPERTIES
  IMPORTED_LOCATION ${CAF_CORE_LIB}
  INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR})

# Asio and Beast are compiled once (api/beast_impl.cpp) instead of in every
# translation unit that includes them.
add_library(paige_boost_net INTERFACE)
target_link_libraries(paige_boost_net INTERFACE Boost::headers Boost::url OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(paige_boost_net INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED)
