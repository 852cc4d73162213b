# phalanxd (node/node*, wire*, config*, home*, consensus_store*, ledger_writer*, event_queue*, backend*,
# node/bin/). Unit tests of the pieces, and end-to-end tests that run four real phalanxd
# processes on 127.0.0.1 (serially: they spawn processes and bind ports).
phalanx_add_test(node_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/node_wire_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/node_config_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/ledger_writer_test.cc
          ${CMAKE_CURRENT_SOURCE_DIR}/consensus_store_test.cc
  LIBS phalanx_node
  LABELS fast)

if(TARGET phalanxd)
  add_executable(node_process_tests ${CMAKE_CURRENT_SOURCE_DIR}/node_process_test.cc
                                    ${CMAKE_CURRENT_SOURCE_DIR}/node_fault_test.cc
                                    ${CMAKE_CURRENT_SOURCE_DIR}/node_load_test.cc
                                    ${CMAKE_CURRENT_SOURCE_DIR}/node_cluster.cc)
  target_link_libraries(node_process_tests PRIVATE phalanx_node GTest::gtest GTest::gtest_main)
  phalanx_test_code(node_process_tests)
  target_compile_definitions(node_process_tests
                             PRIVATE PHALANX_PHALANXD_PATH="$<TARGET_FILE:phalanxd>")
  add_dependencies(node_process_tests phalanxd)
  gtest_discover_tests(node_process_tests DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS fast RUN_SERIAL TRUE TIMEOUT 120)
endif()
