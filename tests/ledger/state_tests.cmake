# ledger_state_tests (owner: state): state tree, state transition, LMDB store.
# Included by tests/ledger/CMakeLists.txt.
phalanx_add_test(ledger_state_tests
  SOURCES state_tree_test.cc mem_tree_test.cc mem_tree_lmdb_test.cc state_test.cc store_test.cc
          tree_cache_test.cc
  LIBS phalanx_ledger
  LABELS fast)
