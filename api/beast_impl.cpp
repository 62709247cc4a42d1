// The one translation unit that compiles Asio's and Beast's implementation; every other
// file includes their headers with *_SEPARATE_COMPILATION (see cmake/dependencies.cmake).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
