# Mempool, verified-signature cache and verification pool (node/mempool*, signature_cache*,
# verify_pool*).
phalanx_add_test(mempool_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mempool_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/mempool_expiry_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/signature_cache_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/verify_pool_test.cc
  LIBS phalanx_node
  LABELS fast)
