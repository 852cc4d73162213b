// Whether this build runs under AddressSanitizer (or ThreadSanitizer): for code that must let ASan
// see what it does (ledger/mem_tree_nodes.cc frees nodes for real instead of pooling them) and for
// tests that scale their work down there. GCC defines __SANITIZE_ADDRESS__; clang answers
// __has_feature(address_sanitizer) (likewise for threads).
#pragma once

namespace phalanx {

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

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace phalanx
