// Whether this build runs under AddressSanitizer (or ThreadSanitizer): for code that must let ASan
// see what it does (ledger/mem_tree_nodes.cc frees nodes for real instead of pooling them) and for
// tests that scale their work down there. GCC defines __SANITIZE_ADDRESS__; clang answers
// __has_feature(address_sanitizer) (likewise for threads).
#pragma once

// GCC 12 has no __has_feature.
#if defined(__has_feature)
#define PHALANX_HAS_FEATURE(feature) __has_feature(feature)
#else
#define PHALANX_HAS_FEATURE(feature) 0
#endif

namespace phalanx {

#if defined(__SANITIZE_ADDRESS__) || PHALANX_HAS_FEATURE(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__) || PHALANX_HAS_FEATURE(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace phalanx
