// phalanx::testutil: whether this build runs under AddressSanitizer, for tests that scale
// their work down there (the simulator's seed count, the node load test's transfers). GCC
// defines __SANITIZE_ADDRESS__; clang answers __has_feature(address_sanitizer).
#pragma once

namespace phalanx::testutil {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace phalanx::testutil
