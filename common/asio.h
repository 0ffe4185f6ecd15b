// Boost.Asio/Beast for this codebase. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which g++ 12 in C++23 mode does not pull in transitively.
#pragma once

// clang-format off
#include <utility>  // must precede Boost.Asio
#include <boost/asio.hpp>
#include <boost/beast.hpp>
// clang-format on

namespace upfleet {
namespace asio = boost::asio;
namespace beast = boost::beast;
}  // namespace upfleet
